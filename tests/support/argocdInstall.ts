/**
 * An argocd-cm `resource.exclusions` in the shape Argo CD 3.0's install writes (a YAML list of apiGroups and
 * kinds, with a comment line before a group), naming the kinds these tests look at: control-plane network
 * objects, leases, reviews, certificate requests and policy reports. Written here for the tests; what the real
 * install writes is in Argo CD's module (manifests/base/config/argocd-cm.yaml).
 */
export const INSTALL_EXCLUSIONS = [
    "### Made and changed by the control plane all the time",
    "- apiGroups: ['', discovery.k8s.io]",
    "  kinds: [Endpoints, EndpointSlice]",
    "- apiGroups: [coordination.k8s.io]",
    "  kinds: [Lease]",
    "### Requests, not state",
    "- apiGroups: [authentication.k8s.io, authorization.k8s.io]",
    "  kinds: [TokenReview, SelfSubjectReview, SubjectAccessReview, SelfSubjectAccessReview, LocalSubjectAccessReview, SelfSubjectRulesReview]",
    "- apiGroups: [certificates.k8s.io]",
    "  kinds: [CertificateSigningRequest]",
    "### Written by controllers of popular add-ons",
    "- apiGroups: [cilium.io]",
    "  kinds: [CiliumEndpoint, CiliumEndpointSlice, CiliumIdentity]",
    "- apiGroups: [wgpolicyk8s.io, kyverno.io]",
    "  kinds: [PolicyReport, ClusterPolicyReport]",
    "",
].join("\n");
