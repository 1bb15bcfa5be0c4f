package activation

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseActivation(t *testing.T) {
	const pid = 4242
	tests := []struct {
		name    string
		env     map[string]string
		want    []InheritedFD
		wantErr string // substring of the error; "" for success
		notAct  bool   // want ErrNotActivated
	}{
		{name: "not activated", env: map[string]string{}, notAct: true},
		{name: "two named", env: map[string]string{"LISTEN_PID": "4242", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "tcp4:udp4"},
			want: []InheritedFD{{FD: 3, Name: "tcp4"}, {FD: 4, Name: "udp4"}}},
		{name: "unnamed get defaults", env: map[string]string{"LISTEN_PID": "4242", "LISTEN_FDS": "2"},
			want: []InheritedFD{{FD: 3, Name: "fd3"}, {FD: 4, Name: "fd4"}}},
		{name: "empty name gets default", env: map[string]string{"LISTEN_PID": "4242", "LISTEN_FDS": "2", "LISTEN_FDNAMES": ":b"},
			want: []InheritedFD{{FD: 3, Name: "fd3"}, {FD: 4, Name: "b"}}},
		{name: "zero fds", env: map[string]string{"LISTEN_PID": "4242", "LISTEN_FDS": "0"}, want: []InheritedFD{}},
		{name: "fds not a number", env: map[string]string{"LISTEN_PID": "4242", "LISTEN_FDS": "two"}, wantErr: "LISTEN_FDS=\"two\": not a number"},
		{name: "fds negative", env: map[string]string{"LISTEN_PID": "4242", "LISTEN_FDS": "-1"}, wantErr: "negative"},
		{name: "fds huge", env: map[string]string{"LISTEN_PID": "4242", "LISTEN_FDS": "70000"}, wantErr: "more than 65536"},
		{name: "fds overflow", env: map[string]string{"LISTEN_PID": "4242", "LISTEN_FDS": "99999999999999999999999"}, wantErr: "out of range"},
		{name: "fds with space", env: map[string]string{"LISTEN_PID": "4242", "LISTEN_FDS": " 1"}, wantErr: "not a number"},
		{name: "fds unset", env: map[string]string{"LISTEN_PID": "4242"}, wantErr: "LISTEN_FDS=\"\": unset"},
		{name: "pid of another process", env: map[string]string{"LISTEN_PID": "1", "LISTEN_FDS": "1"}, wantErr: "names another process"},
		{name: "pid not a number", env: map[string]string{"LISTEN_PID": "me", "LISTEN_FDS": "1"}, wantErr: "not a positive process id"},
		{name: "pid negative", env: map[string]string{"LISTEN_PID": "-4242", "LISTEN_FDS": "1"}, wantErr: "not a positive process id"},
		{name: "pid unset", env: map[string]string{"LISTEN_FDS": "1"}, wantErr: "LISTEN_PID=\"\": unset"},
		{name: "more names than fds", env: map[string]string{"LISTEN_PID": "4242", "LISTEN_FDS": "1", "LISTEN_FDNAMES": "a:b"}, wantErr: "has 2 names for 1 fds"},
		{name: "fewer names than fds", env: map[string]string{"LISTEN_PID": "4242", "LISTEN_FDS": "3", "LISTEN_FDNAMES": "a:b"}, wantErr: "has 2 names for 3 fds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(envOf(tt.env), pid)
			switch {
			case tt.notAct:
				if !errors.Is(err, ErrNotActivated) {
					t.Fatalf("err = %v, want ErrNotActivated", err)
				}
			case tt.wantErr != "":
				var ae *Error
				if !errors.As(err, &ae) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want an ActivationError containing %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatalf("unexpected error: %v", err)
			case !reflect.DeepEqual(got, tt.want):
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// FuzzParse checks that no environment makes the parser panic, and
// that every success is consistent: fds numbered from 3, every one named.
func FuzzParse(f *testing.F) {
	f.Add("4242", "2", "a:b")
	f.Add("4242", "-1", "")
	f.Add("1", "99999999999999999999", "::")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, pid, fds, names string) {
		got, err := Parse(envOf(map[string]string{"LISTEN_PID": pid, "LISTEN_FDS": fds, "LISTEN_FDNAMES": names}), 4242)
		if err != nil {
			return
		}
		if len(got) > MaxListenFDs {
			t.Fatalf("%d fds accepted", len(got))
		}
		for i, f := range got {
			if f.FD != ListenFDsStart+i || f.Name == "" {
				t.Fatalf("entry %d = %+v", i, f)
			}
		}
	})
}
