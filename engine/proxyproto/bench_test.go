package proxyproto

import "testing"

func BenchmarkParse(b *testing.B) {
	for _, tc := range validCases()[:12] {
		in := append(tc.in, payload...)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
