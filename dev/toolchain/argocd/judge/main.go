// argocd-judge reads cluster Secrets with Argo CD's own code (v3.6.2, the live Argo CD's module: it is built
// beside it by ../build.sh) and reports, as JSON, whether Argo CD could use each registration: the Secret
// converted by util/db exactly as Argo CD converts it, the REST config Argo CD builds from it, the version
// endpoint through that config, the application controller's cluster cache synced as the controller configures
// it, and a ConfigMap created and deleted where asked.
//
// The controller's settings (resource.respectRBAC, resource.exclusions and .inclusions, resource customizations,
// manifest storage) are read from the Argo CD namespace on the Argo CD cluster by Argo CD's settings manager
// (util/settings), as the controller reads them: only from an argocd-cm labelled app.kubernetes.io/part-of=argocd.
// Without one the controller does not start ("error loading cache settings"), and neither does a sync here.
//
// Usage:
//
//	argocd-judge --kubeconfig FILE --context CTX --namespace argocd (--secret NAME | --selector LABELS)
//	             [--configmap-namespace NS]... [--skip-sync]
//
// Exit status: 0 when every check asked for passed, 1 when any failed, 2 on a usage error, an Argo CD cluster
// error or settings the controller could not load. The bearer token is never printed: every reported string is
// scrubbed of it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	clustercache "github.com/argoproj/argo-cd/gitops-engine/v3/pkg/cache"
	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/utils/kube"
	"github.com/argoproj/argo-cd/v3/common"
	"github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v3/util/db"
	"github.com/argoproj/argo-cd/v3/util/lua"
	"github.com/argoproj/argo-cd/v3/util/settings"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sync/semaphore"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
)

// The application controller's cluster cache tuning when none of its ARGOCD_CLUSTER_CACHE_* variables is set
// (controller/cache/cache.go, v3.6.2: the variables' defaults, applied in its init()). They are unexported there,
// so they are restated here.
const (
	controllerListSemaphoreSize  = 50
	controllerListPageSize       = 500
	controllerListPageBufferSize = 1
	controllerWatchResyncTimeout = 10 * time.Minute
	controllerSyncRetryTimeout   = 10 * time.Second
	controllerResyncTimeout      = 12 * time.Hour
	controllerListAttemptLimit   = 1 // one attempt: the controller's retry predicate is never consulted
	controllerListRetryBackoff   = false
	// The package variable reads false, but init() sets it from ARGOCD_CLUSTER_CACHE_BATCH_EVENTS_PROCESSING,
	// whose default is true.
	controllerEventProcessingBatch = true
	controllerEventProcessingEvery = 100 * time.Millisecond
)

type options struct {
	kubeconfig, context, namespace string
	secret, selector               string
	configMapNamespaces            []string
	skipSync                       bool
	syncTimeout, observe           time.Duration
}

// Check is the outcome of one check; Error holds the error text Argo CD's code produced.
type Check struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

type VersionCheck struct {
	Check
	// Status is the HTTP status of a refusal (401 for a token the API server does not accept), 0 otherwise.
	Status     int    `json:"status,omitempty"`
	GitVersion string `json:"gitVersion,omitempty"`
}

type SyncCheck struct {
	Check
	// RespectRBAC is argocd-cm's resource.respectRBAC as the controller read it: none (unset), normal or strict.
	RespectRBAC string `json:"respectRBAC"`
	// APIs and Resources are what the cache ended up watching and holding, as Argo CD's cluster info shows them.
	APIs      int `json:"apis"`
	Resources int `json:"resources"`
	// Kinds counts the cached resources by group/kind ("" group for the core API): what the controller can see.
	Kinds map[string]int `json:"kinds,omitempty"`
	// WatchErrors are failures logged by the cache and by client-go in the moments after the sync (a watch the
	// account may not open, for instance): the controller retries those forever, so they do not fail the
	// check, but the cache does not see changes to what it could not watch.
	WatchErrors []string `json:"watchErrors,omitempty"`
}

type ConfigMapCheck struct {
	Check
	Namespace string `json:"namespace"`
	// Create and Delete are HTTP status codes; Delete is 0 when nothing was created.
	Create int `json:"create"`
	Delete int `json:"delete"`
}

// Registration is what Argo CD's code concludes about one cluster Secret.
type Registration struct {
	Secret           string           `json:"secret"`
	OK               bool             `json:"ok"`
	Conversion       Check            `json:"conversion"`
	Name             string           `json:"name,omitempty"`
	Server           string           `json:"server,omitempty"`
	Namespaces       []string         `json:"namespaces,omitempty"`
	ClusterResources bool             `json:"clusterResources"`
	Project          string           `json:"project,omitempty"`
	Shard            *int64           `json:"shard,omitempty"`
	Credential       string           `json:"credential,omitempty"`
	TLS              *TLSSummary      `json:"tls,omitempty"`
	RESTConfig       *Check           `json:"restConfig,omitempty"`
	Version          *VersionCheck    `json:"version,omitempty"`
	Sync             *SyncCheck       `json:"sync,omitempty"`
	ConfigMaps       []ConfigMapCheck `json:"configMaps,omitempty"`
}

// TLSSummary says how the connection is verified, without any key material.
type TLSSummary struct {
	Insecure   bool   `json:"insecure"`
	CAData     bool   `json:"caData"`
	ServerName string `json:"serverName,omitempty"`
	ClientCert bool   `json:"clientCert"`
}

func main() {
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// Argo CD's packages log through logrus; keep their chatter off stdout, which carries the JSON.
	log.SetOutput(os.Stderr)
	log.SetLevel(log.WarnLevel)

	hub, err := hubClient(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "argocd-judge:", err)
		os.Exit(2)
	}
	secrets, err := readClusterSecrets(hub, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "argocd-judge:", err)
		os.Exit(2)
	}
	var controller *controllerSettings
	if !opts.skipSync {
		if controller, err = loadControllerSettings(hub, opts.namespace); err != nil {
			fmt.Fprintln(os.Stderr, "argocd-judge:", err)
			os.Exit(2)
		}
	}
	reports := make([]Registration, 0, len(secrets))
	allOK := len(secrets) > 0
	for i := range secrets {
		report := judge(&secrets[i], controller, opts)
		allOK = allOK && report.OK
		reports = append(reports, report)
	}
	if err := printJSON(os.Stdout, reports); err != nil {
		fmt.Fprintln(os.Stderr, "argocd-judge:", err)
		os.Exit(2)
	}
	if len(secrets) == 0 {
		fmt.Fprintln(os.Stderr, "argocd-judge: no cluster Secret matched")
	}
	if !allOK {
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	var opts options
	fs := flag.NewFlagSet("argocd-judge", flag.ContinueOnError)
	fs.StringVar(&opts.kubeconfig, "kubeconfig", "", "kubeconfig of the Argo CD cluster (default: $KUBECONFIG, ~/.kube/config)")
	fs.StringVar(&opts.context, "context", "", "kubeconfig context of the Argo CD cluster (default: the current one)")
	fs.StringVar(&opts.namespace, "namespace", "argocd", "Argo CD's namespace, where the cluster Secrets and its settings are")
	fs.StringVar(&opts.secret, "secret", "", "name of one cluster Secret")
	fs.StringVar(&opts.selector, "selector", "", "label selector: every cluster Secret matching it")
	fs.Func("configmap-namespace", "create and delete a ConfigMap in this namespace (repeatable)", func(ns string) error {
		opts.configMapNamespaces = append(opts.configMapNamespaces, ns)
		return nil
	})
	fs.BoolVar(&opts.skipSync, "skip-sync", false, "do not sync the controller's cluster cache")
	fs.DurationVar(&opts.syncTimeout, "sync-timeout", 2*time.Minute, "give up on a cluster cache sync after this long")
	fs.DurationVar(&opts.observe, "observe", 2*time.Second, "after a sync, how long to collect the cache's watch errors")
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	if (opts.secret == "") == (opts.selector == "") {
		return opts, errors.New("give exactly one of --secret and --selector")
	}
	return opts, nil
}

// hubClient connects to the Argo CD cluster, where the cluster Secrets and Argo CD's settings are.
func hubClient(opts options) (kubernetes.Interface, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if opts.kubeconfig != "" {
		rules.ExplicitPath = opts.kubeconfig
	}
	config, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: opts.context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig of the Argo CD cluster: %w", err)
	}
	return kubernetes.NewForConfig(config)
}

// controllerSettings is what the application controller reads from argocd-cm to configure a cluster cache
// (liveStateCache.loadCacheSettings and getCluster in controller/cache/cache.go).
type controllerSettings struct {
	respectRBAC     int
	clusterSettings clustercache.Settings
}

// loadControllerSettings reads the controller's settings through Argo CD's settings manager, which sees only
// ConfigMaps labelled app.kubernetes.io/part-of=argocd. Its errors are the controller's at start-up.
func loadControllerSettings(hub kubernetes.Interface, namespace string) (*controllerSettings, error) {
	// The manager's informers live as long as this context: the settings are read once, then they stop.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	manager := settings.NewSettingsManager(ctx, hub, namespace)
	fail := func(err error) (*controllerSettings, error) {
		return nil, fmt.Errorf("error loading cache settings from %s (Argo CD reads only ConfigMaps labelled app.kubernetes.io/part-of=argocd): %w", namespace, err)
	}
	filter, err := manager.GetResourcesFilter()
	if err != nil {
		return fail(err)
	}
	overrides, err := manager.GetResourceOverrides()
	if err != nil {
		return fail(err)
	}
	respectRBAC, err := manager.RespectRBAC()
	if err != nil {
		return nil, fmt.Errorf("error getting value for %v: %w", settings.RespectRBAC, err)
	}
	return &controllerSettings{
		respectRBAC: respectRBAC,
		clusterSettings: clustercache.Settings{
			ResourceHealthOverride: lua.ResourceHealthOverrides(overrides),
			ResourcesFilter:        filter,
		},
	}, nil
}

// respectRBACName is argocd-cm's resource.respectRBAC value for a cluster cache level; "none" stands for the key
// being unset.
func respectRBACName(level int) string {
	switch level {
	case clustercache.RespectRbacNormal:
		return settings.RespectRBACValueNormal
	case clustercache.RespectRbacStrict:
		return settings.RespectRBACValueStrict
	}
	return "none"
}

// readClusterSecrets reads what Argo CD would read: Secrets in its namespace labelled as clusters. A Secret named
// with --secret is read even without the label, so that the report can say Argo CD ignores it.
func readClusterSecrets(hub kubernetes.Interface, opts options) ([]corev1.Secret, error) {
	secrets := hub.CoreV1().Secrets(opts.namespace)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if opts.secret != "" {
		secret, err := secrets.Get(ctx, opts.secret, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("reading Secret %s/%s: %w", opts.namespace, opts.secret, err)
		}
		return []corev1.Secret{*secret}, nil
	}
	selector, err := labels.Parse(opts.selector)
	if err != nil {
		return nil, fmt.Errorf("--selector: %w", err)
	}
	clusterType, err := labels.NewRequirement(common.LabelKeySecretType, "=", []string{common.LabelValueSecretTypeCluster})
	if err != nil {
		return nil, err
	}
	list, err := secrets.List(ctx, metav1.ListOptions{LabelSelector: selector.Add(*clusterType).String()})
	if err != nil {
		return nil, fmt.Errorf("listing cluster Secrets in %s: %w", opts.namespace, err)
	}
	return list.Items, nil
}

// judge runs every check on one Secret. A check that cannot run because an earlier one failed is left out.
func judge(secret *corev1.Secret, controller *controllerSettings, opts options) Registration {
	report := Registration{Secret: secret.Namespace + "/" + secret.Name}
	cluster, err := toCluster(secret)
	if err != nil {
		report.Conversion = Check{Error: err.Error()}
		return report
	}
	token := cluster.Config.BearerToken
	defer scrub(&report, token)

	report.Conversion = Check{OK: true}
	describe(&report, cluster)
	config, err := cluster.RESTConfig()
	if err != nil {
		report.RESTConfig = &Check{Error: err.Error()}
		return report
	}
	report.RESTConfig = &Check{OK: true}
	report.Version = checkVersion(config)
	ok := report.Version.OK
	if !opts.skipSync {
		report.Sync = syncClusterCache(config, cluster, controller, opts)
		ok = ok && report.Sync.OK
	}
	for _, ns := range opts.configMapNamespaces {
		check := configMapRoundTrip(config, ns)
		ok = ok && check.OK
		report.ConfigMaps = append(report.ConfigMaps, check)
	}
	report.OK = ok
	return report
}

// toCluster is Argo CD's reading of a cluster Secret: db.SecretToCluster, after the label check that decides
// whether Argo CD looks at the Secret at all.
func toCluster(secret *corev1.Secret) (*v1alpha1.Cluster, error) {
	if secret.Labels[common.LabelKeySecretType] != common.LabelValueSecretTypeCluster {
		return nil, fmt.Errorf("no label %s=%s: Argo CD does not read this Secret as a cluster", common.LabelKeySecretType, common.LabelValueSecretTypeCluster)
	}
	return db.SecretToCluster(secret)
}

func describe(report *Registration, cluster *v1alpha1.Cluster) {
	report.Name = cluster.Name
	report.Server = cluster.Server
	report.Namespaces = cluster.Namespaces
	report.ClusterResources = cluster.ClusterResources
	report.Project = cluster.Project
	report.Shard = cluster.Shard
	report.Credential = credentialKind(cluster.Config)
	tls := cluster.Config.TLSClientConfig
	report.TLS = &TLSSummary{
		Insecure:   tls.Insecure,
		CAData:     len(tls.CAData) > 0,
		ServerName: tls.ServerName,
		ClientCert: len(tls.CertData) > 0,
	}
}

// credentialKind names how Argo CD authenticates to the cluster, never the credential itself.
func credentialKind(config v1alpha1.ClusterConfig) string {
	switch {
	case config.AWSAuthConfig != nil:
		return "awsAuthConfig"
	case config.ExecProviderConfig != nil:
		return "execProviderConfig"
	case config.BearerToken != "":
		return "bearerToken"
	case config.Username != "":
		return "basicAuth"
	case len(config.TLSClientConfig.CertData) > 0:
		return "clientCertificate"
	}
	return "anonymous"
}

// checkVersion calls /version through the REST config: reachability, TLS and (where anonymous access is off)
// the token, as Argo CD's own connection check does.
func checkVersion(config *rest.Config) *VersionCheck {
	client, err := discovery.NewDiscoveryClientForConfig(config)
	if err != nil {
		return &VersionCheck{Check: Check{Error: err.Error()}}
	}
	info, err := client.ServerVersion()
	if err != nil {
		return &VersionCheck{Check: Check{Error: err.Error()}, Status: statusOf(err, 0)}
	}
	return &VersionCheck{Check: Check{OK: true}, GitVersion: info.GitVersion}
}

// syncClusterCache builds the application controller's cluster cache for the cluster, configured as
// liveStateCache.getCluster configures it with the settings argocd-cm gives and the tuning's defaults, and syncs
// it. What only shapes what the cache keeps of each resource (tracking method, instance label, manifest storage
// and compression) plays no part in whether it syncs and is left out.
func syncClusterCache(config *rest.Config, cluster *v1alpha1.Cluster, controller *controllerSettings, opts options) *SyncCheck {
	check := &SyncCheck{RespectRBAC: respectRBACName(controller.respectRBAC)}
	// The controller silences API deprecation warnings below debug level.
	config = rest.CopyConfig(config)
	config.WarningHandler = rest.NoWarnings{}

	errorLog := &errorRecorder{}
	// client-go's retry watcher, which the cache watches through, retries a refused watch forever and only
	// logs it through klog: route klog here too while this cluster is judged.
	klog.SetLogger(errorLog.logger())
	defer klog.ClearLogger()
	cache := clustercache.NewClusterCache(config,
		clustercache.SetListSemaphore(semaphore.NewWeighted(controllerListSemaphoreSize)),
		clustercache.SetListPageSize(controllerListPageSize),
		clustercache.SetListPageBufferSize(controllerListPageBufferSize),
		clustercache.SetWatchResyncTimeout(controllerWatchResyncTimeout),
		clustercache.SetClusterSyncRetryTimeout(controllerSyncRetryTimeout),
		clustercache.SetResyncTimeout(controllerResyncTimeout),
		clustercache.SetSettings(controller.clusterSettings),
		clustercache.SetNamespaces(cluster.Namespaces),
		clustercache.SetClusterResources(cluster.ClusterResources),
		clustercache.SetLogr(errorLog.logger()),
		clustercache.SetRetryOptions(controllerListAttemptLimit, controllerListRetryBackoff, clustercache.ListRetryFuncNever),
		clustercache.SetRespectRBAC(controller.respectRBAC),
		clustercache.SetBatchEventsProcessing(controllerEventProcessingBatch),
		clustercache.SetEventProcessingInterval(controllerEventProcessingEvery),
	)
	// Stops the watches the sync started, so that the next Secret is judged alone.
	defer cache.Invalidate()

	done := make(chan error, 1)
	go func() { done <- cache.EnsureSynced() }()
	select {
	case err := <-done:
		if err != nil {
			check.Error = err.Error()
			return check
		}
	case <-time.After(opts.syncTimeout):
		check.Error = fmt.Sprintf("the cluster cache did not sync within %s", opts.syncTimeout)
		return check
	}
	time.Sleep(opts.observe)
	info := cache.GetClusterInfo()
	check.OK = true
	check.APIs = info.APIsCount
	check.Resources = info.ResourcesCount
	check.Kinds = countKinds(cache.FindResources(""))
	check.WatchErrors = errorLog.lines()
	return check
}

func countKinds(resources map[kube.ResourceKey]*clustercache.Resource) map[string]int {
	kinds := map[string]int{}
	for key := range resources {
		kinds[key.Group+"/"+key.Kind]++
	}
	return kinds
}

// configMapRoundTrip creates a ConfigMap in namespace through the REST config and deletes it again. The check
// passes only when both succeed; a refusal is reported with its HTTP status.
func configMapRoundTrip(config *rest.Config, namespace string) ConfigMapCheck {
	check := ConfigMapCheck{Namespace: namespace}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		check.Error = err.Error()
		return check
	}
	configMaps := client.CoreV1().ConfigMaps(namespace)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	object := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "argocd-judge-"},
		Data:       map[string]string{"written-by": "argocd-judge"},
	}
	created, err := configMaps.Create(ctx, object, metav1.CreateOptions{})
	check.Create = statusOf(err, 201)
	if err != nil {
		check.Error = "create: " + err.Error()
		return check
	}
	err = configMaps.Delete(ctx, created.Name, metav1.DeleteOptions{})
	check.Delete = statusOf(err, 200)
	if err != nil {
		check.Error = "delete: " + err.Error()
		return check
	}
	check.OK = true
	return check
}

// statusOf is the HTTP status behind a client-go result: success's code, the API status's code, or 0 when the
// request got no answer (connection or TLS failure).
func statusOf(err error, success int) int {
	if err == nil {
		return success
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return int(status.Status().Code)
	}
	return 0
}

// scrub removes the bearer token from every string of the report, whatever error text carried it.
func scrub(report *Registration, token string) {
	if token == "" {
		return
	}
	clean := func(s *string) { *s = strings.ReplaceAll(*s, token, "[redacted]") }
	clean(&report.Conversion.Error)
	if report.RESTConfig != nil {
		clean(&report.RESTConfig.Error)
	}
	if report.Version != nil {
		clean(&report.Version.Error)
	}
	if report.Sync != nil {
		clean(&report.Sync.Error)
		for i := range report.Sync.WatchErrors {
			clean(&report.Sync.WatchErrors[i])
		}
	}
	for i := range report.ConfigMaps {
		clean(&report.ConfigMaps[i].Error)
	}
}

func printJSON(w io.Writer, reports []Registration) error {
	encoder := json.NewEncoder(w)
	encoder.SetIndent("", "  ")
	return encoder.Encode(reports)
}
