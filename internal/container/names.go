package container

import (
	"fmt"
	"math/rand/v2"
)

// Names are made like Docker's: adjective_surname of a notable scientist or
// engineer; after a collision a digit is added.
var (
	adjectives = []string{
		"admiring", "affectionate", "amazing", "awesome", "beautiful", "blissful", "bold", "brave",
		"busy", "charming", "clever", "compassionate", "competent", "condescending", "confident", "cool",
		"cranky", "crazy", "dazzling", "determined", "distracted", "dreamy", "eager", "ecstatic",
		"elastic", "elated", "elegant", "eloquent", "epic", "exciting", "fervent", "festive",
		"flamboyant", "focused", "friendly", "frosty", "funny", "gallant", "gifted", "goofy",
		"gracious", "great", "happy", "hardcore", "heuristic", "hopeful", "hungry", "infallible",
		"inspiring", "intelligent", "interesting", "jolly", "jovial", "keen", "kind", "laughing",
		"loving", "lucid", "magical", "modest", "musing", "mystifying", "naughty", "nervous",
		"nice", "nifty", "nostalgic", "objective", "optimistic", "peaceful", "pedantic", "pensive",
		"practical", "priceless", "quirky", "quizzical", "recursing", "relaxed", "reverent", "romantic",
		"sad", "serene", "sharp", "silly", "sleepy", "stoic", "strange", "stupefied",
		"suspicious", "sweet", "tender", "thirsty", "trusting", "unruffled", "upbeat", "vibrant",
		"vigilant", "vigorous", "wizardly", "wonderful", "xenodochial", "youthful", "zealous", "zen",
	}
	surnames = []string{
		"agnesi", "albattani", "allen", "almeida", "archimedes", "ardinghelli", "aryabhata", "austin",
		"babbage", "banach", "bardeen", "bartik", "bassi", "bell", "bhabha", "blackwell",
		"bohr", "booth", "borg", "bose", "brattain", "brown", "carson", "cerf",
		"chandrasekhar", "chatelet", "clarke", "colden", "cori", "cray", "curie", "darwin",
		"davinci", "dijkstra", "dubinsky", "easley", "einstein", "elion", "engelbart", "euclid",
		"euler", "fermat", "fermi", "feynman", "franklin", "galileo", "gates", "goldberg",
		"goldstine", "goldwasser", "golick", "goodall", "hamilton", "hawking", "heisenberg", "hermann",
		"hertz", "hodgkin", "hofstadter", "hoover", "hopper", "hypatia", "jackson", "jang",
		"jennings", "jepsen", "johnson", "joliot", "kalam", "kapitsa", "keller", "kepler",
		"khorana", "kilby", "knuth", "lalande", "lamarr", "lamport", "leakey", "leavitt",
		"lehmann", "lewin", "lichterman", "liskov", "lovelace", "lumiere", "mahavira", "margulis",
		"mayer", "mccarthy", "mcclintock", "meitner", "mendel", "merkle", "minsky", "montalcini",
		"moore", "morse", "napier", "nash", "neumann", "newton", "nobel", "noether",
		"pare", "pascal", "pasteur", "payne", "perlman", "pike", "poincare", "ptolemy",
		"raman", "ramanujan", "ride", "ritchie", "roentgen", "rosalind", "saha", "sammet",
		"shannon", "shaw", "shockley", "sinoussi", "snyder", "spence", "stonebraker", "swanson",
		"swartz", "tesla", "thompson", "torvalds", "turing", "varahamihira", "visvesvaraya", "wescoff",
		"wiles", "williams", "wilson", "wing", "wozniak", "wright", "yalow", "yonath",
	}
)

// GenerateName returns a random name; retry > 0 appends a digit, as Docker
// does after a collision.
func GenerateName(retry int) string {
	name := adjectives[rand.IntN(len(adjectives))] + "_" + surnames[rand.IntN(len(surnames))]
	if name == "boring_wozniak" { // Steve Wozniak is not boring (Docker's rule)
		return GenerateName(retry)
	}
	if retry > 0 {
		name = fmt.Sprintf("%s%d", name, rand.IntN(10))
	}
	return name
}
