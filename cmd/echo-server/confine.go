package main

import (
	"path/filepath"
	"slices"
	"time"

	"github.com/echo-activation/echo-server/engine/confine"
	"github.com/echo-activation/echo-server/engine/listen"
)

// confineServer confines the process (engine/confine) once every socket
// it serves, the metrics sockets included, is made or adopted and the
// notify socket is connected, and returns the layers in force (for
// echo_confined). It reports false (logged) when --confine required cannot
// be met. The probe subcommand is
// never confined: it connects out by design.
func confineServer(cfg *config, life lifecycle, files []listen.SocketFile) (confine.Report, bool) {
	mode, err := confine.ParseMode(cfg.confine)
	if err != nil { // the flag has checked it
		life.Error(err.Error())
		return confine.Report{}, false
	}
	_, _ = time.Now().Zone() // load time.Local (/etc/localtime) while it can be read
	c := confine.ServerReads()
	c.Mode, c.RemoveDirs = mode, socketDirs(files)
	rep, err := confine.Apply(c)
	if err != nil {
		life.Error("cannot confine: " + err.Error())
		return rep, false
	}
	if len(rep.Missing) > 0 {
		life.Warn("confinement incomplete: " + rep.String())
	}
	return rep, true
}

// socketDirs are the directories of the unix socket files this process
// made, which it removes at exit.
func socketDirs(files []listen.SocketFile) []string {
	var dirs []string
	for _, f := range files {
		if d := filepath.Dir(f.Path); f.Path != "" && !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}
