// kgateway-local: the kgateway v2.2.0 controller (github.com/kgateway-dev/kgateway/v2) with every
// listener on 127.0.0.1, for gloo-harden's tests. Upstream's cmd/kgateway calls setup.New() whose
// defaults listen on 0.0.0.0:9977 (xDS), :9093 (health) and :9092 (metrics). This main calls the same
// setup.New with the two options upstream provides: a loopback xDS listener and the controller-manager
// options of pkg/kgateway/setup/setup.go (v2.2.0) with loopback addresses, pprof off and leader
// election off, and its admin server (localhost:9095, a package variable upstream) on a port of our
// choice. Settings (KGW_* env), controllers, deployer and xDS are upstream code, unmodified.
//
// Environment: KGW_XDS_SERVICE_PORT (xDS port, also read by upstream settings), KGW_LOCAL_HEALTH_ADDR
// and KGW_LOCAL_METRICS_ADDR (host:port on 127.0.0.1), KGW_LOCAL_ADMIN_PORT (port on localhost).
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"strconv"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/kgateway-dev/kgateway/v2/pkg/kgateway/setup"
	"github.com/kgateway-dev/kgateway/v2/pkg/kgateway/wellknown"
	"github.com/kgateway-dev/kgateway/v2/pkg/utils/namespaces"
	"github.com/kgateway-dev/kgateway/v2/pkg/version"
)

func env(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func main() {
	cmd := &cobra.Command{
		Use: "kgateway-local",
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Println("kgateway", version.String())
			admin, err := strconv.ParseUint(env("KGW_LOCAL_ADMIN_PORT", "9095"), 10, 16)
			if err != nil {
				return fmt.Errorf("kgateway-local: KGW_LOCAL_ADMIN_PORT: %w; expected a port number", err)
			}
			wellknown.KgatewayAdminPort = uint32(admin)
			lis, err := net.Listen("tcp", "127.0.0.1:"+env("KGW_XDS_SERVICE_PORT", "9977"))
			if err != nil {
				return err
			}
			s, err := setup.New(
				setup.WithXDSListener(lis),
				setup.WithControllerManagerOptions(func(ctx context.Context) *ctrl.Options {
					return &ctrl.Options{
						BaseContext:             func() context.Context { return ctx },
						Scheme:                  runtime.NewScheme(),
						PprofBindAddress:        "0",
						HealthProbeBindAddress:  env("KGW_LOCAL_HEALTH_ADDR", "127.0.0.1:9093"),
						Metrics:                 metricsserver.Options{BindAddress: env("KGW_LOCAL_METRICS_ADDR", "127.0.0.1:9092")},
						LeaderElectionNamespace: namespaces.GetPodNamespace(),
						LeaderElection:          false,
						LeaderElectionID:        "kgateway-envoy",
					}
				}),
			)
			if err != nil {
				return fmt.Errorf("kgateway-local: setting up kgateway: %w", err)
			}
			return s.Start(cmd.Context())
		},
	}
	if err := cmd.Execute(); err != nil {
		log.Fatal(err)
	}
}
