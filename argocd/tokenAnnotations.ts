/**
 * The token kinds' contract on the cluster Secret (issue 12), for whoever reads it with kubectl and for the
 * health report and registration summary: the kind on every registration, and for bound tokens when the token
 * expires (its `exp`) and from when the next `up` renews it (expires-at minus renewBefore), RFC 3339 UTC.
 * Kept apart from names.ts only until the bound kind lands there with the same strings: then fold these in.
 */
export const TOKEN_KIND_ANNOTATION = "argocd-clusters/token-kind";
export const TOKEN_EXPIRES_AT_ANNOTATION = "argocd-clusters/token-expires-at";
export const TOKEN_RENEWS_AT_ANNOTATION = "argocd-clusters/token-renews-at";
