package metrics

// layerState is one confinement layer (engine/confine) and whether it is
// in force.
type layerState struct {
	name string
	on   bool
}

// SetConfined records, for echo_confined, which of the layers all are in
// force. Until it is called, echo_confined is not written.
func (s *Server) SetConfined(all, inForce []string) {
	on := map[string]bool{}
	for _, l := range inForce {
		on[l] = true
	}
	states := make([]layerState, len(all))
	for i, l := range all {
		states[i] = layerState{l, on[l]}
	}
	s.confined.Store(&states)
}

func (s *Server) writeConfined(t textWriter) {
	states := s.confined.Load()
	if states == nil {
		return
	}
	t.family("echo_confined", "1 for each confinement layer in force (--confine), 0 for each not.", "gauge")
	for _, l := range *states {
		t.sample("echo_confined", boolValue(l.on), "layer", l.name)
	}
}
