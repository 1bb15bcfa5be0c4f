package sourcelimit

// Reason is why Acquire refused a connection.
type Reason uint8

const (
	// Admitted: not refused.
	Admitted Reason = iota
	// PerSource: the source holds Config.PerSource connections already.
	PerSource
	// Rate: the source opened connections faster than Config.Rate allows
	// after Config.Burst.
	Rate
	// TableFull: the table has no slot for a new source (see the package
	// documentation).
	TableFull
)

// String is the reason as a metric label value: "per_source", "rate",
// "table_full"; "" for Admitted.
func (r Reason) String() string {
	switch r {
	case PerSource:
		return "per_source"
	case Rate:
		return "rate"
	case TableFull:
		return "table_full"
	}
	return ""
}
