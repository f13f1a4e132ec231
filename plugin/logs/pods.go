package logs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
)

// PodLogs writes the logs of pods (MR3's DAGAppMaster or ContainerWorkers) to out through the
// API (pods/log, the first container of each Pod). With more than one Pod each line starts
// with "[pod] ", and lines are never cut: with follow the Pods are read at once and their lines
// interleaved as they come, else one Pod after the other, by name. Follow ends when every
// stream ended or ctx did.
func PodLogs(ctx context.Context, client kubernetes.Interface, pods []corev1.Pod, follow bool, out io.Writer) error {
	pods = append([]corev1.Pod(nil), pods...)
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	prefix := len(pods) > 1
	w := &lineWriter{out: out}
	stream := func(p corev1.Pod) error {
		opts := &corev1.PodLogOptions{Follow: follow}
		if len(p.Spec.Containers) > 1 {
			opts.Container = p.Spec.Containers[0].Name
		}
		rc, err := client.CoreV1().Pods(p.Namespace).GetLogs(p.Name, opts).Stream(ctx)
		if err != nil {
			return fmt.Errorf("read the log of Pod %s/%s: %w", p.Namespace, p.Name, err)
		}
		defer rc.Close()
		tag := ""
		if prefix {
			tag = "[" + p.Name + "] "
		}
		br := bufio.NewReader(rc)
		for {
			line, err := br.ReadString('\n')
			if line != "" {
				if line[len(line)-1] != '\n' {
					line += "\n"
				}
				if werr := w.write(tag + line); werr != nil {
					return werr
				}
			}
			if err != nil {
				if errors.Is(err, io.EOF) || ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("read the log of Pod %s/%s: %w", p.Namespace, p.Name, err)
			}
		}
	}
	if !follow {
		var errs []error
		for _, p := range pods {
			if err := stream(p); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(pods))
	for i, p := range pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = stream(p)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// lineWriter writes whole lines from several goroutines.
type lineWriter struct {
	mu  sync.Mutex
	out io.Writer
}

func (w *lineWriter) write(line string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err := io.WriteString(w.out, line)
	return err
}
