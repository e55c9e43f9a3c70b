module argocd-clusters/tests/vectors/secretname

// The go line sets net/url's defaults (GODEBUG urlstrictcolons=1 from 1.26), as Argo CD's own go.mod does.
go 1.26
