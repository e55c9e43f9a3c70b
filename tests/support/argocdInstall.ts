/** What Argo CD's own install writes into argocd-cm, for tests of the program's reading of it. */

/** Argo CD v3.6.2's manifests/base/config/argocd-cm.yaml resource.exclusions, as its install writes it. */
export const INSTALL_EXCLUSIONS = `### Network resources created by the Kubernetes control plane
- apiGroups:
  - ''
  - discovery.k8s.io
  kinds:
  - Endpoints
  - EndpointSlice
- apiGroups:
  - coordination.k8s.io
  kinds:
  - Lease
- apiGroups:
  - authentication.k8s.io
  - authorization.k8s.io
  kinds:
  - SelfSubjectReview
  - TokenReview
  - LocalSubjectAccessReview
  - SelfSubjectAccessReview
  - SelfSubjectRulesReview
  - SubjectAccessReview
- apiGroups:
  - certificates.k8s.io
  kinds:
  - CertificateSigningRequest
- apiGroups:
  - cert-manager.io
  kinds:
  - CertificateRequest
- apiGroups:
  - cilium.io
  kinds:
  - CiliumIdentity
  - CiliumEndpoint
  - CiliumEndpointSlice
- apiGroups:
  - kyverno.io
  - reports.kyverno.io
  - wgpolicyk8s.io
  kinds:
  - PolicyReport
  - ClusterPolicyReport
  - EphemeralReport
  - ClusterEphemeralReport
  - AdmissionReport
  - ClusterAdmissionReport
  - BackgroundScanReport
  - ClusterBackgroundScanReport
  - UpdateRequest
`;
