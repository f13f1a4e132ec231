package exitcode

import (
	"errors"
	"fmt"
	"testing"
)

func TestOf(t *testing.T) {
	plain := errors.New("boom")
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, OK},
		{"plain error", plain, Error},
		{"with code", WithCode(NotReady, plain), NotReady},
		{"wrapped code", fmt.Errorf("explained: %w", WithCode(CheckFailed, plain)), CheckFailed},
		{"usage", UsageError("--output %q: use one of table, json", "x"), Usage},
		{"cobra unknown verb", errors.New(`unknown command "nosuch" for "sparkmr3"`), Usage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.err); got != tt.want {
				t.Errorf("Of(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
	if WithCode(Usage, nil) != nil {
		t.Error("WithCode(Usage, nil) is not nil")
	}
	if err := WithCode(Usage, plain); !errors.Is(err, plain) || err.Error() != "boom" {
		t.Errorf("WithCode hides the error: %v", err)
	}
}
