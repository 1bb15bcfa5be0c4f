package metrics

import (
	"strings"
	"testing"
)

func TestWriteConfined(t *testing.T) {
	all := []string{"no_new_privs", "seccomp", "landlock-net"}
	for _, tc := range []struct {
		name    string
		set     bool
		inForce []string
		want    string
	}{
		{name: "not set", want: ""},
		{name: "some", set: true, inForce: []string{"seccomp", "no_new_privs"},
			want: "echo_confined{layer=\"no_new_privs\"} 1\necho_confined{layer=\"seccomp\"} 1\necho_confined{layer=\"landlock-net\"} 0\n"},
		{name: "off", set: true,
			want: "echo_confined{layer=\"no_new_privs\"} 0\necho_confined{layer=\"seccomp\"} 0\necho_confined{layer=\"landlock-net\"} 0\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(nil, nil, Options{})
			if tc.set {
				s.SetConfined(all, tc.inForce)
			}
			var b strings.Builder
			s.writeConfined(textWriter{&b})
			_, samples, _ := strings.Cut(b.String(), "# TYPE echo_confined gauge\n")
			if samples != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", b.String(), tc.want)
			}
		})
	}
}
