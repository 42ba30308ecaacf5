package testdaemon_test

import "runtime"

func runtimeGoexit() { runtime.Goexit() }
