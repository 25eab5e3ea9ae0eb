package proc

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"
)

func TestAliveAndWait(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc and pidfds (Linux)")
	}
	start, err := StartTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if !Alive(os.Getpid(), start) || Alive(os.Getpid(), start+1) || Alive(0, 0) || Alive(-1, 0) {
		t.Errorf("Alive: this process with its start time should be alive, no other")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if Wait(ctx, os.Getpid(), start) {
		t.Error("Wait says this process has exited")
	}
	if !Wait(context.Background(), os.Getpid(), start+1) {
		t.Error("Wait waited for a process that started at another time")
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skip("needs sleep: ", err)
	}
	pstart, _ := StartTime(cmd.Process.Pid)
	done := make(chan bool)
	go func() { done <- Wait(context.Background(), cmd.Process.Pid, pstart) }()
	if err := Signal(cmd.Process.Pid, pstart, 9); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if !<-done {
		t.Error("Wait did not see the process end")
	}
	if err := Signal(cmd.Process.Pid, pstart, 9); err == nil {
		t.Error("Signal reached a process that has ended")
	}
}
