package cli

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/spf13/pflag"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/registry"
)

// registryFlags are helm's flags for reaching the chart's repository or OCI registry, named
// and meant as in `helm install`: install, upgrade and check accept an oci:// CHART with them.
type registryFlags struct {
	plainHTTP             bool
	insecureSkipTLSVerify bool
	caFile                string
	certFile              string
	keyFile               string
}

func (f *registryFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.plainHTTP, "plain-http", false, "use insecure HTTP connections for the chart download (an oci:// registry without TLS)")
	fs.BoolVar(&f.insecureSkipTLSVerify, "insecure-skip-tls-verify", false, "skip tls certificate checks for the chart download")
	fs.StringVar(&f.caFile, "ca-file", "", "verify certificates of HTTPS-enabled servers using this CA bundle")
	fs.StringVar(&f.certFile, "cert-file", "", "identify HTTPS client using this SSL certificate file")
	fs.StringVar(&f.keyFile, "key-file", "", "identify HTTPS client using this SSL key file")
}

// newRegistryClient is helm's registry client as `helm install` builds it: credentials from
// the registry config (--registry-config, HELM_REGISTRY_CONFIG; `helm registry login` writes
// it), plain HTTP only when asked (never as a silent fallback), the TLS files when given.
// Messages go to stderr.
func (f *registryFlags) newRegistryClient(s *Settings) (*registry.Client, error) {
	opts := []registry.ClientOption{
		registry.ClientOptDebug(s.Helm.Debug),
		registry.ClientOptEnableCache(true),
		registry.ClientOptWriter(s.IO.ErrOut),
		registry.ClientOptCredentialsFile(s.Helm.RegistryConfig),
	}
	if f.certFile != "" && f.keyFile != "" || f.caFile != "" || f.insecureSkipTLSVerify {
		return registry.NewRegistryClientWithTLS(s.IO.ErrOut, f.certFile, f.keyFile, f.caFile, f.insecureSkipTLSVerify, s.Helm.RegistryConfig, s.Helm.Debug)
	}
	if f.plainHTTP {
		opts = append(opts, registry.ClientOptPlainHTTP())
	} else {
		// Helm 3's default transport retries over plain HTTP when a registry answers a TLS
		// handshake with HTTP; Helm 4 dropped that silent downgrade, and so does the plugin:
		// plain HTTP only with --plain-http.
		opts = append(opts, registry.ClientOptHTTPClient(&http.Client{Transport: registry.NewTransport(s.Helm.Debug)}))
	}
	return registry.NewClient(opts...)
}

// locateChart finds CHART (a directory, .tgz, repo/name or oci:// reference) as helm does and
// returns the local path of the chart; for an oci:// reference it pulls it with helm's
// registry client into helm's repository cache. Errors name the reference and the fix.
func (f *registryFlags) locateChart(s *Settings, ref, version string) (string, error) {
	cpo := action.ChartPathOptions{
		Version: version, PlainHTTP: f.plainHTTP, InsecureSkipTLSverify: f.insecureSkipTLSVerify,
		CaFile: f.caFile, CertFile: f.certFile, KeyFile: f.keyFile,
	}
	if !registry.IsOCI(ref) {
		path, err := cpo.LocateChart(ref, s.Helm)
		if err != nil {
			return "", UsageError("chart %q: %v (give a chart directory, a .tgz, repo/name or oci://REGISTRY/REPOSITORY/spark-mr3; omit it to use the chart shipped with the plugin)", ref, err)
		}
		return path, nil
	}
	u, err := url.Parse(ref)
	if err != nil || u.Host == "" || strings.Trim(u.Path, "/") == "" {
		return "", UsageError("chart %q: not an OCI chart reference: write oci://REGISTRY[:PORT]/REPOSITORY/spark-mr3 (with --version X, or :X or @sha256:DIGEST after the name)", ref)
	}
	client, err := f.newRegistryClient(s)
	if err != nil {
		return "", UsageError("chart %q: set up the registry client: %v (check --ca-file, --cert-file, --key-file and the registry config %s)", ref, err, s.Helm.RegistryConfig)
	}
	// ChartPathOptions takes a registry client only through an action that embeds it.
	pull := action.Install{ChartPathOptions: cpo}
	pull.SetRegistryClient(client)
	path, err := pull.LocateChart(ref, s.Helm)
	if err != nil {
		return "", UsageError("chart %q: %s", ref, explainRegistryError(err, u.Host, f.plainHTTP, s.Helm.RegistryConfig))
	}
	return path, nil
}

// explainRegistryError says what to do about the failures users meet pulling a chart from an
// OCI registry: TLS against a plain-HTTP registry, a registry that cannot be reached, a login
// that is missing, a chart or version that is not there.
func explainRegistryError(err error, host string, plainHTTP bool, registryConfig string) string {
	msg := err.Error()
	var opErr *net.OpError
	switch {
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return fmt.Sprintf("registry %s answers plain HTTP, not HTTPS: pass --plain-http if you trust the registry and the network to it (a loopback or private registry), else give the registry TLS", host)
	case errors.Is(err, syscall.ECONNREFUSED), errors.As(err, &opErr) && opErr.Op == "dial":
		scheme, hint := "https", "; a registry without TLS also needs --plain-http"
		if plainHTTP {
			scheme, hint = "http", ""
		}
		return fmt.Sprintf("cannot reach registry %s over %s: %v (check the host and port of the oci:// reference and that the registry runs%s)", host, scheme, err, hint)
	case strings.Contains(msg, "401") || strings.Contains(strings.ToLower(msg), "unauthorized"):
		return fmt.Sprintf("registry %s refused the credentials: %v (log in with `helm registry login %s`; helm keeps the login in %s, or set HELM_REGISTRY_CONFIG)", host, err, host, registryConfig)
	case strings.Contains(msg, "not found"):
		return fmt.Sprintf("%v (check the repository path of the oci:// reference and the version given with --version, :TAG or @sha256:DIGEST)", err)
	}
	return msg
}
