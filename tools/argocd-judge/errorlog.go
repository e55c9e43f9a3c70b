package main

import (
	"fmt"
	"sync"

	"github.com/go-logr/logr"
)

// errorRecorder is the cluster cache's logger: it keeps what the cache logs as errors (failed watches, failed
// syncs) and drops the rest, which the application controller would only print.
type errorRecorder struct {
	mu     sync.Mutex
	errors []string
}

func (r *errorRecorder) logger() logr.Logger { return logr.New(&errorSink{recorder: r}) }

func (r *errorRecorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errors...)
}

type errorSink struct {
	recorder *errorRecorder
	name     string
}

func (s *errorSink) Init(logr.RuntimeInfo)          {}
func (s *errorSink) Enabled(int) bool               { return false }
func (s *errorSink) Info(int, string, ...any)       {}
func (s *errorSink) WithValues(...any) logr.LogSink { return s }
func (s *errorSink) WithName(name string) logr.LogSink {
	return &errorSink{recorder: s.recorder, name: name}
}

func (s *errorSink) Error(err error, msg string, _ ...any) {
	line := msg
	if err != nil {
		line = fmt.Sprintf("%s: %v", msg, err)
	}
	s.recorder.mu.Lock()
	defer s.recorder.mu.Unlock()
	s.recorder.errors = append(s.recorder.errors, line)
}
