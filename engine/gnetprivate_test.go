package engine

import (
	"reflect"
	"runtime/debug"
	"strings"
	"testing"
)

func TestCheckGnetVersion(t *testing.T) {
	dep := func(v string) *debug.Module { return &debug.Module{Path: gnetModule, Version: v} }
	tests := []struct {
		name   string
		deps   []*debug.Module
		errHas string
	}{
		{name: "test binary: no dependency list", deps: nil},
		{name: "pinned", deps: []*debug.Module{{Path: "golang.org/x/sys", Version: "v0.50.0"}, dep(gnetPinned)}},
		{name: "newer", deps: []*debug.Module{dep("v2.10.0")}, errHas: "v2.10.0"},
		{name: "replaced", deps: []*debug.Module{{Path: gnetModule, Version: gnetPinned, Replace: &debug.Module{Path: "../gnet"}}}, errHas: "../gnet"},
		{name: "absent", deps: []*debug.Module{{Path: "golang.org/x/sys", Version: "v0.50.0"}}, errHas: "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkGnetVersion(&debug.BuildInfo{Deps: tt.deps}, true)
			if tt.errHas == "" && err != nil || tt.errHas != "" && (err == nil || !strings.Contains(err.Error(), tt.errHas)) {
				t.Fatalf("err = %v, want %q", err, tt.errHas)
			}
		})
	}
}

// TestFieldOf: the layout check refuses a missing field, a field of
// another type and a non-struct.
func TestFieldOf(t *testing.T) {
	type loop struct {
		poller *int
		fd     int
	}
	lt := reflect.TypeFor[loop]()
	tests := []struct {
		t          reflect.Type
		name, want string
		errHas     string
	}{
		{t: lt, name: "fd", want: "int"},
		{t: lt, name: "poller", want: "*netpoll.Poller", errHas: "is *int, want *netpoll.Poller"},
		{t: lt, name: "listeners", want: "int", errHas: "no field listeners"},
		{t: reflect.TypeFor[int](), name: "fd", want: "int", errHas: "not a struct"},
	}
	for _, tt := range tests {
		_, err := fieldOf(tt.t, tt.name, tt.want)
		if tt.errHas == "" && err != nil || tt.errHas != "" && (err == nil || !strings.Contains(err.Error(), tt.errHas)) {
			t.Errorf("fieldOf(%s, %s) = %v, want %q", tt.t, tt.name, err, tt.errHas)
		}
	}
}

// TestGnetLayoutOnThisGnet: the pinned gnet passes the layout check.
func TestGnetLayoutOnThisGnet(t *testing.T) {
	if _, err := checkGnet(); err != nil {
		t.Fatal(err)
	}
}
