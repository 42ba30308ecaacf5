package testdaemon

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts the daemon in its own process group, so that it and its
// helpers can be killed together, and has the kernel kill it should the test
// binary die first.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup kills the daemon's whole process group.
func killGroup(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
