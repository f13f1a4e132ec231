package cli

import (
	"github.com/spf13/cobra"

	"github.com/spark-mr3/spark-mr3/plugin/quickcli"
)

// The verbs the entry binary also serves on its own live in plugin/quickcli.

func newVersionCmd(s *Settings) *cobra.Command { return quickcli.NewVersionCmd(s.quickStreams()) }

func newPostrenderCmd(s *Settings) *cobra.Command {
	return quickcli.NewPostrenderCmd(s.quickStreams())
}

func (s *Settings) quickStreams() quickcli.Streams {
	return quickcli.Streams{In: s.IO.In, Out: s.IO.Out, ErrOut: s.IO.ErrOut, Getenv: s.Getenv, IsTerminal: s.IsTerminal}
}
