"""gigrouter's own custom-kind schemas, judged against the upstream CRDs.

The hand-written schemas in ``gigrouter/schemas`` must give the same verdict as the upstream
CRDs (converted by ``crd.py`` in strict mode) on a corpus of valid and invalid manifests, and
on every single-edit mutation of the valid ones. The CRDs are test oracles that live beside the
repository in ``../shared/crds``; without them the differential tests skip, saying so.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from support.shared import require_dir, upstream_crds_dir

from gigrouter.validate import custom_kinds
from gigrouter.validate.base import SchemaError
from gigrouter.validate.crd import CrdSchemas, load_crds
from gigrouter.validate.custom_kinds import CustomKindSchemas

UPSTREAM_CRDS = upstream_crds_dir()

Doc = dict[str, Any]
Path_ = tuple[str | int, ...]

ARGO = "argoproj.io/v1alpha1"
ESO = "external-secrets.io/v1beta1"
MONITORING = "monitoring.coreos.com/v1"
GITOPS_REPO = "https://github.com/NTI-Django-React-Project/k8s-manifests"
IN_CLUSTER = "https://kubernetes.default.svc"

SCHEMAS = CustomKindSchemas()
DELETE = object()


def edit(doc: Doc, *changes: tuple[str, object]) -> Doc:
    """A deep copy of ``doc`` with each dotted path set to a value (or removed with DELETE).
    Numeric path parts index lists."""
    out = copy.deepcopy(doc)
    for dotted, value in changes:
        parts: list[str | int] = [int(p) if p.isdigit() else p for p in dotted.split(".")]
        parent: Any = out
        for part in parts[:-1]:
            parent = parent[part]
        if value is DELETE:
            del parent[parts[-1]]
        else:
            parent[parts[-1]] = copy.deepcopy(value)
    return out


# ================================================================================================
# The corpus
# ================================================================================================


@dataclass(frozen=True)
class Case:
    name: str
    doc: Doc
    valid: bool

    @property
    def kind(self) -> str:
        return str(self.doc["kind"])


def valid(name: str, doc: Doc) -> Case:
    return Case(name, doc, True)


def invalid(name: str, doc: Doc) -> Case:
    return Case(name, doc, False)


# --- Application -------------------------------------------------------------------------------


def application(spec: Doc, name: str = "backend", **metadata: Any) -> Doc:
    return {
        "apiVersion": ARGO,
        "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd", **metadata},
        "spec": spec,
    }


APP_MINIMAL = application(
    {
        "project": "default",
        "destination": {"server": IN_CLUSTER},
        "source": {"repoURL": GITOPS_REPO},
    }
)

APP_OF_APPS_ROOT = application(
    {
        "project": "default",
        "source": {"repoURL": GITOPS_REPO, "targetRevision": "main", "path": "argocd"},
        "destination": {"server": IN_CLUSTER, "namespace": "argocd"},
        "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
    },
    name="platform",
    labels={"app.kubernetes.io/part-of": "gig-router"},
)

APP_MULTI_SOURCE_HELM = application(
    {
        "project": "default",
        "sources": [
            {
                "repoURL": "https://prometheus-community.github.io/helm-charts",
                "chart": "kube-prometheus-stack",
                "targetRevision": "58.5.0",
                "helm": {
                    "releaseName": "monitoring",
                    "valueFiles": ["$values/observability/values.yaml"],
                    "skipCrds": True,
                },
            },
            {"repoURL": GITOPS_REPO, "targetRevision": "main", "ref": "values"},
        ],
        "destination": {"server": IN_CLUSTER, "namespace": "monitoring"},
        "syncPolicy": {
            "automated": {"prune": True, "selfHeal": True},
            "syncOptions": ["CreateNamespace=true", "ServerSideApply=true"],
        },
    },
    name="monitoring",
    finalizers=["resources-finalizer.argocd.argoproj.io"],
    annotations={"argocd.argoproj.io/sync-wave": "3"},
    labels={"app.kubernetes.io/part-of": "gig-router"},
)

APP_HELM_VALUES_OBJECT = application(
    {
        "project": "default",
        "source": {
            "repoURL": "https://aws.github.io/eks-charts",
            "chart": "aws-load-balancer-controller",
            "targetRevision": "3.0.0",
            "helm": {
                "releaseName": "aws-load-balancer-controller",
                "valuesObject": {
                    "clusterName": "gig-route-cluster",
                    "region": "eu-north-1",
                    "serviceAccount": {"create": False, "name": "aws-load-balancer-controller"},
                    "replicaCount": 2,
                },
            },
        },
        "destination": {"server": IN_CLUSTER, "namespace": "kube-system"},
        "syncPolicy": {"syncOptions": ["CreateNamespace=true", "RespectIgnoreDifferences=true"]},
        "ignoreDifferences": [
            {
                "kind": "Secret",
                "name": "aws-load-balancer-tls",
                "namespace": "kube-system",
                "jsonPointers": ["/data"],
            },
            {
                "group": "admissionregistration.k8s.io",
                "kind": "MutatingWebhookConfiguration",
                "name": "aws-load-balancer-webhook",
                "jqPathExpressions": [".webhooks[].clientConfig.caBundle"],
            },
            {
                "group": "apps",
                "kind": "Deployment",
                "managedFieldsManagers": ["kube-controller-manager"],
            },
        ],
    },
    name="aws-load-balancer-controller",
    finalizers=["resources-finalizer.argocd.argoproj.io"],
    annotations={"argocd.argoproj.io/sync-wave": "0"},
)

APP_DIRECTORY = application(
    {
        "project": "default",
        "source": {
            "repoURL": GITOPS_REPO,
            "targetRevision": "HEAD",
            "path": "logging",
            "directory": {
                "recurse": True,
                "include": "*.yaml",
                "exclude": "{kustomization.yaml,values.yaml}",
                "jsonnet": {
                    "libs": ["vendor"],
                    "extVars": [{"name": "env", "value": "prod"}],
                    "tlas": [{"name": "replicas", "value": "2", "code": True}],
                },
            },
        },
        "destination": {"name": "in-cluster", "namespace": "monitoring"},
    },
    name="logging",
)

APP_KUSTOMIZE = application(
    {
        "project": "default",
        "source": {
            "repoURL": GITOPS_REPO,
            "targetRevision": "main",
            "path": "frontend",
            "kustomize": {
                "namePrefix": "prod-",
                "images": ["frontend=docker.io/gig/frontend:1.4.2"],
                "commonLabels": {"tier": "web"},
                "replicas": [{"name": "frontend", "count": 3}, {"name": "worker", "count": "2"}],
                "patches": [
                    {
                        "target": {"kind": "Deployment", "name": "frontend"},
                        "patch": "- op: replace\n  path: /spec/replicas\n  value: 2\n",
                        "options": {"allowNameChange": False},
                    }
                ],
            },
        },
        "destination": {"server": IN_CLUSTER, "namespace": "frontend"},
    },
    name="frontend",
)

APP_RETRY_AND_INFO = application(
    {
        "project": "platform",
        "source": {"repoURL": GITOPS_REPO, "targetRevision": "main", "path": "backend"},
        "destination": {"server": IN_CLUSTER, "namespace": "backend"},
        "syncPolicy": {
            "automated": {"enabled": True, "prune": False, "allowEmpty": False},
            "syncOptions": ["CreateNamespace=true"],
            "managedNamespaceMetadata": {"labels": {"team": "api"}, "annotations": {"a": "b"}},
            "retry": {
                "limit": 5,
                "refresh": True,
                "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"},
            },
        },
        "revisionHistoryLimit": 10,
        "info": [{"name": "owner", "value": "platform-team"}],
    },
    annotations={"argocd.argoproj.io/sync-wave": "4", "notes": ""},
)

APP_HELM_PARAMETERS_AND_PLUGIN = application(
    {
        "project": "default",
        "sources": [
            {
                "repoURL": "https://charts.bitnami.com/bitnami",
                "chart": "memcached",
                "targetRevision": "6.x",
                "helm": {
                    "values": "replicaCount: 2\n",
                    "parameters": [
                        {"name": "image.tag", "value": "1.6", "forceString": True},
                        {"name": "auth.enabled", "value": "false"},
                    ],
                    "fileParameters": [{"name": "config", "path": "files/config.json"}],
                    "ignoreMissingValueFiles": True,
                    "passCredentials": False,
                },
            },
            {
                "repoURL": GITOPS_REPO,
                "path": "memcached",
                "plugin": {
                    "name": "envsubst",
                    "env": [{"name": "CACHE_SIZE", "value": "64"}],
                    "parameters": [
                        {"name": "a", "string": "x"},
                        {"name": "b", "array": ["1", "2"]},
                        {"name": "c", "map": {"k": "v"}},
                    ],
                },
            },
        ],
        "destination": {"server": IN_CLUSTER, "namespace": "memcached"},
    },
    name="memcached",
)

APP_SOURCE_HYDRATOR = application(
    {
        "project": "default",
        "sourceHydrator": {
            "drySource": {"repoURL": GITOPS_REPO, "targetRevision": "main", "path": "apps/api"},
            "syncSource": {"targetBranch": "env/prod", "path": "apps/api"},
            "hydrateTo": {"targetBranch": "env/prod-next"},
        },
        "destination": {"server": IN_CLUSTER, "namespace": "backend"},
    },
    name="hydrated",
)

# Neither source nor sources: the CRD allows it, so the schema does too (Argo CD's own checks
# are a later stage's business).
APP_WITHOUT_SOURCE = application({"project": "default", "destination": {"name": "in-cluster"}})

APPLICATION_CASES = [
    valid("minimal", APP_MINIMAL),
    valid("app-of-apps root", APP_OF_APPS_ROOT),
    valid("multi-source helm with $values ref and finalizer", APP_MULTI_SOURCE_HELM),
    valid("helm valuesObject and ignoreDifferences", APP_HELM_VALUES_OBJECT),
    valid("directory with jsonnet", APP_DIRECTORY),
    valid("kustomize with int-or-string replicas", APP_KUSTOMIZE),
    valid("retry, managed namespace metadata, info", APP_RETRY_AND_INFO),
    valid("helm parameters and plugin", APP_HELM_PARAMETERS_AND_PLUGIN),
    valid("source hydrator", APP_SOURCE_HYDRATOR),
    valid("no source at all", APP_WITHOUT_SOURCE),
    invalid("missing project", edit(APP_MINIMAL, ("spec.project", DELETE))),
    invalid("missing destination", edit(APP_MINIMAL, ("spec.destination", DELETE))),
    invalid("missing spec", edit(APP_MINIMAL, ("spec", DELETE))),
    invalid(
        "valueFile typo",
        edit(APP_MULTI_SOURCE_HELM, ("spec.sources.0.helm.valueFile", ["values.yaml"])),
    ),
    invalid(
        "prune as a string",
        edit(APP_OF_APPS_ROOT, ("spec.syncPolicy.automated.prune", "true")),
    ),
    invalid(
        "ignoreDifferences without kind",
        edit(APP_HELM_VALUES_OBJECT, ("spec.ignoreDifferences.1.kind", DELETE)),
    ),
    invalid(
        "source without repoURL", edit(APP_MULTI_SOURCE_HELM, ("spec.sources.1.repoURL", DELETE))
    ),
    invalid(
        "valuesObject given as a YAML string",
        edit(APP_HELM_VALUES_OBJECT, ("spec.source.helm.valuesObject", "replicaCount: 2\n")),
    ),
    invalid("finalizers as a string", edit(APP_MULTI_SOURCE_HELM, ("metadata.finalizers", "x"))),
    invalid(
        "unquoted sync-wave annotation",
        edit(APP_MULTI_SOURCE_HELM, ("metadata.annotations", {"argocd.argoproj.io/sync-wave": 3})),
    ),
    invalid(
        "syncOptions as one string",
        edit(APP_OF_APPS_ROOT, ("spec.syncPolicy.syncOptions", "CreateNamespace=true")),
    ),
    invalid(
        "replica count as boolean",
        edit(APP_KUSTOMIZE, ("spec.source.kustomize.replicas.0.count", True)),
    ),
    invalid(
        "retry limit as string", edit(APP_RETRY_AND_INFO, ("spec.syncPolicy.retry.limit", "5"))
    ),
    invalid(
        "empty targetRevision (null)", edit(APP_OF_APPS_ROOT, ("spec.source.targetRevision", None))
    ),
    invalid(
        "hydrator sync path '.'",
        edit(APP_SOURCE_HYDRATOR, ("spec.sourceHydrator.syncSource.path", ".")),
    ),
    invalid("unknown top-level field", edit(APP_MINIMAL, ("specs", {}))),
    invalid("metadata typo", edit(APP_MINIMAL, ("metadata.label", {"a": "b"}))),
]


# --- AppProject --------------------------------------------------------------------------------


def project(spec: Doc, name: str = "platform") -> Doc:
    return {
        "apiVersion": ARGO,
        "kind": "AppProject",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": spec,
    }


PROJECT_OPEN = project(
    {
        "description": "everything, everywhere",
        "sourceRepos": ["*"],
        "destinations": [{"namespace": "*", "server": "*"}],
        "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
    },
    name="default",
)

PROJECT_ROLES = project(
    {
        "sourceRepos": [GITOPS_REPO],
        "roles": [
            {
                "name": "ci",
                "description": "sync from CI",
                "policies": ["p, proj:platform:ci, applications, sync, platform/*, allow"],
                "groups": ["gig-router:ci"],
                "jwtTokens": [{"iat": 1700000000, "exp": 1800000000, "id": "t1"}],
            }
        ],
    }
)

PROJECT_WINDOWS = project(
    {
        "syncWindows": [
            {
                "kind": "deny",
                "schedule": "0 22 * * *",
                "duration": "8h",
                "timeZone": "Europe/Stockholm",
                "applications": ["*"],
                "namespaces": ["backend"],
                "clusters": ["in-cluster"],
                "manualSync": True,
                "andOperator": False,
                "description": "nightly freeze",
            }
        ]
    }
)

PROJECT_RESOURCE_LISTS = project(
    {
        "namespaceResourceBlacklist": [{"group": "", "kind": "ResourceQuota"}],
        "namespaceResourceWhitelist": [{"group": "apps", "kind": "Deployment"}],
        "clusterResourceBlacklist": [{"group": "", "kind": "Namespace", "name": "kube-*"}],
    }
)

PROJECT_ORPHANS_AND_NAMESPACES = project(
    {
        "orphanedResources": {
            "warn": True,
            "ignore": [{"group": "", "kind": "ConfigMap", "name": "x"}],
        },
        "sourceNamespaces": ["argocd-apps-*"],
        "destinationServiceAccounts": [
            {"server": IN_CLUSTER, "namespace": "backend", "defaultServiceAccount": "deployer"}
        ],
    }
)

PROJECT_SIGNED = project(
    {
        "signatureKeys": [{"keyID": "4AEE18F83AFDEB23"}],
        "permitOnlyProjectScopedClusters": True,
        "sourceIntegrity": {
            "git": {
                "policies": [
                    {
                        "repos": [{"url": GITOPS_REPO}],
                        "gpg": {"mode": "strict", "keys": ["4AEE18F8"]},
                    }
                ]
            }
        },
    }
)

APPPROJECT_CASES = [
    valid("empty spec", project({})),
    valid("the open default project", PROJECT_OPEN),
    valid("roles with jwt tokens", PROJECT_ROLES),
    valid("sync windows", PROJECT_WINDOWS),
    valid("resource black and white lists", PROJECT_RESOURCE_LISTS),
    valid(
        "orphaned resources, source namespaces, service accounts", PROJECT_ORPHANS_AND_NAMESPACES
    ),
    valid("signature keys and source integrity", PROJECT_SIGNED),
    valid("description at the 255 limit", project({"description": "d" * 255})),
    invalid("missing spec", edit(PROJECT_OPEN, ("spec", DELETE))),
    invalid("description too long", project({"description": "d" * 256})),
    invalid(
        "whitelist entry without kind",
        edit(PROJECT_OPEN, ("spec.clusterResourceWhitelist.0.kind", DELETE)),
    ),
    invalid("sourceRepos as a string", edit(PROJECT_OPEN, ("spec.sourceRepos", "*"))),
    invalid("destination typo", edit(PROJECT_OPEN, ("spec.destinations.0.namespce", "x"))),
    invalid("role without name", edit(PROJECT_ROLES, ("spec.roles.0.name", DELETE))),
    invalid(
        "jwt iat as string", edit(PROJECT_ROLES, ("spec.roles.0.jwtTokens.0.iat", "1700000000"))
    ),
    invalid(
        "manualSync as string", edit(PROJECT_WINDOWS, ("spec.syncWindows.0.manualSync", "yes"))
    ),
    invalid("sourceRepo singular", project({"sourceRepo": ["*"]})),
    invalid(
        "name in a namespace resource list",
        edit(PROJECT_RESOURCE_LISTS, ("spec.namespaceResourceWhitelist.0.name", "api")),
    ),
    invalid(
        "gpg without mode",
        edit(PROJECT_SIGNED, ("spec.sourceIntegrity.git.policies.0.gpg.mode", DELETE)),
    ),
]


# --- ApplicationSet ----------------------------------------------------------------------------

TEMPLATE = {
    "metadata": {"name": "{{name}}", "labels": {"generated": "true"}},
    "spec": {
        "project": "default",
        "source": {"repoURL": GITOPS_REPO, "targetRevision": "main", "path": "{{path}}"},
        "destination": {"server": "{{server}}", "namespace": "{{name}}"},
    },
}


def appset(generators: list[Doc], **spec: Any) -> Doc:
    return {
        "apiVersion": ARGO,
        "kind": "ApplicationSet",
        "metadata": {"name": "services", "namespace": "argocd"},
        "spec": {"generators": generators, "template": copy.deepcopy(TEMPLATE), **spec},
    }


LIST_GENERATOR = {
    "list": {
        "elements": [
            {"name": "backend", "path": "backend", "server": IN_CLUSTER},
            {"name": "frontend", "path": "frontend", "server": IN_CLUSTER, "extra": {"n": 1}},
        ]
    }
}
CLUSTERS_GENERATOR = {
    "clusters": {
        "selector": {
            "matchLabels": {"env": "prod"},
            "matchExpressions": [{"key": "region", "operator": "In", "values": ["eu-north-1"]}],
        },
        "values": {"revision": "main"},
    }
}
GIT_DIRECTORIES = {
    "git": {
        "repoURL": GITOPS_REPO,
        "revision": "main",
        "directories": [{"path": "apps/*"}, {"path": "apps/legacy", "exclude": True}],
    }
}

APPSET_LIST = appset([LIST_GENERATOR])
APPSET_CLUSTERS = appset([CLUSTERS_GENERATOR])
APPSET_GIT_DIRECTORIES = appset([GIT_DIRECTORIES])
APPSET_GIT_FILES = appset(
    [
        {
            "git": {
                "repoURL": GITOPS_REPO,
                "revision": "HEAD",
                "files": [{"path": "config/**/config.json"}],
                "pathParamPrefix": "cfg",
                "requeueAfterSeconds": 180,
            }
        }
    ],
    goTemplate=True,
    goTemplateOptions=["missingkey=error"],
)
APPSET_MATRIX = appset([{"matrix": {"generators": [GIT_DIRECTORIES, CLUSTERS_GENERATOR]}}])
APPSET_MERGE = appset(
    [{"merge": {"mergeKeys": ["server"], "generators": [CLUSTERS_GENERATOR, LIST_GENERATOR]}}]
)
APPSET_POLICIES = appset(
    [LIST_GENERATOR],
    syncPolicy={"applicationsSync": "create-update", "preserveResourcesOnDeletion": True},
    strategy={
        "type": "RollingSync",
        "rollingSync": {
            "steps": [
                {"matchExpressions": [{"key": "env", "operator": "In", "values": ["dev"]}]},
                {
                    "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}],
                    "maxUpdate": "10%",
                },
            ]
        },
    },
)
APPSET_PATCH_AND_PRESERVE = appset(
    [LIST_GENERATOR],
    templatePatch="spec:\n  syncPolicy:\n    automated: {}\n",
    ignoreApplicationDifferences=[{"jsonPointers": ["/spec/source/targetRevision"]}],
    preservedFields={"annotations": ["notified.notifications.argoproj.io"], "labels": ["team"]},
    applyNestedSelectors=False,
)
APPSET_TEMPLATE_OVERRIDE = appset(
    [
        {
            "list": {
                "elements": [{"name": "api", "path": "backend", "server": IN_CLUSTER}],
                "template": {
                    "metadata": {"annotations": {"argocd.argoproj.io/sync-wave": "2"}},
                    "spec": {
                        "project": "backend",
                        "destination": {},
                        "syncPolicy": {"automated": {"selfHeal": True}},
                    },
                },
            },
            "selector": {"matchLabels": {"name": "api"}},
        }
    ]
)
APPSET_NESTED_MATRIX = appset(
    [
        {
            "matrix": {
                "generators": [
                    {"matrix": {"generators": [LIST_GENERATOR, CLUSTERS_GENERATOR]}},
                    GIT_DIRECTORIES,
                ]
            }
        }
    ]
)

APPSET_PLUGIN_AND_PULL_REQUESTS = appset(
    [
        {
            "plugin": {
                "configMapRef": {"name": "my-plugin"},
                "input": {"parameters": {"env": "prod", "nested": {"any": ["thing"]}}},
                "requeueAfterSeconds": 30,
            }
        },
        {
            "pullRequest": {
                "github": {
                    "owner": "NTI-Django-React-Project",
                    "repo": "backend",
                    "labels": ["preview"],
                    "tokenRef": {"secretName": "github-token", "key": "token"},
                },
                "requeueAfterSeconds": 120,
            }
        },
    ]
)

APPLICATIONSET_CASES = [
    valid("list generator", APPSET_LIST),
    valid("clusters generator with selector", APPSET_CLUSTERS),
    valid("git directories", APPSET_GIT_DIRECTORIES),
    valid("git files with go templates", APPSET_GIT_FILES),
    valid("matrix", APPSET_MATRIX),
    valid("merge", APPSET_MERGE),
    valid("sync policy and rolling sync", APPSET_POLICIES),
    valid("templatePatch and preserved fields", APPSET_PATCH_AND_PRESERVE),
    valid("generator template override", APPSET_TEMPLATE_OVERRIDE),
    valid("matrix nested in matrix", APPSET_NESTED_MATRIX),
    valid("plugin and pull request generators", APPSET_PLUGIN_AND_PULL_REQUESTS),
    invalid(
        "plugin generator without configMapRef",
        edit(APPSET_PLUGIN_AND_PULL_REQUESTS, ("spec.generators.0.plugin.configMapRef", DELETE)),
    ),
    invalid("missing template", edit(APPSET_LIST, ("spec.template", DELETE))),
    invalid("missing generators", edit(APPSET_LIST, ("spec.generators", DELETE))),
    invalid("unknown generator", appset([{"lists": LIST_GENERATOR["list"]}])),
    invalid(
        "git generator without revision",
        edit(APPSET_GIT_DIRECTORIES, ("spec.generators.0.git.revision", DELETE)),
    ),
    invalid(
        "template spec without project", edit(APPSET_LIST, ("spec.template.spec.project", DELETE))
    ),
    invalid("template metadata typo", edit(APPSET_LIST, ("spec.template.metadata.label", {}))),
    invalid(
        "applicationsSync value",
        edit(APPSET_POLICIES, ("spec.syncPolicy.applicationsSync", "create")),
    ),
    invalid(
        "merge without mergeKeys", edit(APPSET_MERGE, ("spec.generators.0.merge.mergeKeys", DELETE))
    ),
    invalid("goTemplate as string", edit(APPSET_GIT_FILES, ("spec.goTemplate", "true"))),
    invalid(
        "matrix child typo", edit(APPSET_MATRIX, ("spec.generators.0.matrix.generators.0.gitt", {}))
    ),
    invalid(
        "template valueFiles as string",
        edit(APPSET_LIST, ("spec.template.spec.source.helm", {"valueFiles": "values.yaml"})),
    ),
    invalid(
        "template override without spec",
        edit(APPSET_TEMPLATE_OVERRIDE, ("spec.generators.0.list.template.spec", DELETE)),
    ),
    invalid(
        "maxUpdate as boolean",
        edit(APPSET_POLICIES, ("spec.strategy.rollingSync.steps.1.maxUpdate", True)),
    ),
]


# --- SecretStore and ClusterSecretStore --------------------------------------------------------


def store(spec: Doc | None, kind: str = "SecretStore") -> Doc:
    doc: Doc = {
        "apiVersion": ESO,
        "kind": kind,
        "metadata": {"name": "aws-secrets", "namespace": "backend"},
    }
    if spec is not None:
        doc["spec"] = spec
    return doc


STORE_AWS_JWT = store(
    {
        "provider": {
            "aws": {
                "service": "SecretsManager",
                "region": "eu-north-1",
                "auth": {"jwt": {"serviceAccountRef": {"name": "backend-sa"}}},
            }
        }
    }
)
STORE_AWS_STATIC = store(
    {
        "provider": {
            "aws": {
                "service": "ParameterStore",
                "region": "eu-north-1",
                "role": "arn:aws:iam::123456789012:role/eso",
                "auth": {
                    "secretRef": {
                        "accessKeyIDSecretRef": {"name": "aws", "key": "id"},
                        "secretAccessKeySecretRef": {"name": "aws", "key": "secret"},
                        "sessionTokenSecretRef": {"name": "aws", "key": "token", "namespace": "x"},
                    }
                },
            }
        }
    }
)
STORE_AWS_RICH = store(
    {
        "provider": {
            "aws": {
                "service": "SecretsManager",
                "region": "eu-north-1",
                "additionalRoles": ["arn:aws:iam::1:role/a"],
                "externalID": "ext",
                "sessionTags": [{"key": "team", "value": "api"}],
                "transitiveTagKeys": ["team"],
                "secretsManager": {"forceDeleteWithoutRecovery": False, "recoveryWindowInDays": 7},
                "auth": {
                    "jwt": {
                        "serviceAccountRef": {
                            "name": "backend-sa",
                            "namespace": "backend",
                            "audiences": ["sts.amazonaws.com"],
                        }
                    }
                },
            }
        },
        "refreshInterval": 300,
        "controller": "eso-main",
        "retrySettings": {"maxRetries": 3, "retryInterval": "10s"},
    }
)
STORE_VAULT = store(
    {
        "provider": {
            "vault": {
                "server": "https://vault.example.com",
                "path": "secret",
                "version": "v2",
                "auth": {"kubernetes": {"role": "backend"}},
            }
        }
    }
)
STORE_FAKE = store({"provider": {"fake": {"data": [{"key": "/db/password", "value": "x"}]}}})
STORE_KUBERNETES = store(
    {
        "provider": {
            "kubernetes": {"remoteNamespace": "shared", "auth": {"serviceAccount": {"name": "eso"}}}
        }
    }
)
STORE_CONDITIONS = store(
    {
        "provider": copy.deepcopy(STORE_AWS_JWT["spec"]["provider"]),
        "conditions": [
            {"namespaces": ["backend", "frontend"]},
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "backend"}}},
        ],
    }
)

SECRETSTORE_CASES = [
    valid("aws with jwt (IRSA)", STORE_AWS_JWT),
    valid("aws parameter store with static credentials", STORE_AWS_STATIC),
    valid("aws with every option", STORE_AWS_RICH),
    valid("vault kubernetes auth without mountPath (defaulted)", STORE_VAULT),
    valid("fake provider", STORE_FAKE),
    valid("kubernetes provider", STORE_KUBERNETES),
    valid("conditions", STORE_CONDITIONS),
    valid("no spec (the CRD does not require one)", store(None)),
    invalid("no provider", store({})),
    invalid("empty provider", store({"provider": {}})),
    invalid(
        "two providers",
        edit(STORE_AWS_JWT, ("spec.provider.fake", {"data": []})),
    ),
    invalid(
        "unknown provider",
        store({"provider": {"awss": {"service": "SecretsManager", "region": "x"}}}),
    ),
    invalid(
        "aws service in lower case",
        edit(STORE_AWS_JWT, ("spec.provider.aws.service", "secretsmanager")),
    ),
    invalid("aws without region", edit(STORE_AWS_JWT, ("spec.provider.aws.region", DELETE))),
    invalid(
        "serviceAccountRef without name",
        edit(STORE_AWS_JWT, ("spec.provider.aws.auth.jwt.serviceAccountRef.name", DELETE)),
    ),
    invalid(
        "refreshInterval as a duration string", edit(STORE_AWS_JWT, ("spec.refreshInterval", "1h"))
    ),
    invalid("auth typo", edit(STORE_AWS_JWT, ("spec.provider.aws.auth", {"jwtt": {}}))),
    invalid("maxRetries as string", edit(STORE_AWS_RICH, ("spec.retrySettings.maxRetries", "3"))),
    invalid(
        "conditions entry typo", edit(STORE_CONDITIONS, ("spec.conditions.0.namespace", ["a"]))
    ),
    invalid("vault without server", edit(STORE_VAULT, ("spec.provider.vault.server", DELETE))),
]

# A ClusterSecretStore has the SecretStore's spec; the upstream file holds only SecretStore, so
# its CRD is the oracle for both (see oracle_errors).
CLUSTERSECRETSTORE_CASES = [
    Case(
        case.name,
        edit(case.doc, ("kind", "ClusterSecretStore"), ("metadata.namespace", DELETE)),
        case.valid,
    )
    for case in SECRETSTORE_CASES
]


# --- ExternalSecret ----------------------------------------------------------------------------


def external_secret(spec: Doc) -> Doc:
    return {
        "apiVersion": ESO,
        "kind": "ExternalSecret",
        "metadata": {"name": "rds-db-secret", "namespace": "backend"},
        "spec": spec,
    }


ES_SPELLED_OUT = external_secret(
    {
        "refreshInterval": "1h",
        "secretStoreRef": {"name": "aws-secrets", "kind": "SecretStore"},
        "target": {"name": "rds-db-secret", "creationPolicy": "Owner", "deletionPolicy": "Retain"},
        "data": [
            {
                "secretKey": "DB_PASSWORD",
                "remoteRef": {
                    "key": "rds!db-1234",
                    "property": "password",
                    "conversionStrategy": "Default",
                    "decodingStrategy": "None",
                    "metadataPolicy": "None",
                },
            }
        ],
    }
)
ES_MINIMAL = external_secret(
    {
        "secretStoreRef": {"name": "aws-secrets"},
        "data": [{"secretKey": "k", "remoteRef": {"key": "k"}}],
    }
)
ES_EXTRACT = external_secret(
    {
        "secretStoreRef": {"name": "aws-secrets"},
        "dataFrom": [
            {
                "extract": {
                    "key": "app/config",
                    "version": "AWSCURRENT",
                    "conversionStrategy": "Unicode",
                    "decodingStrategy": "Auto",
                    "metadataPolicy": "None",
                }
            }
        ],
    }
)
ES_FIND_REWRITE = external_secret(
    {
        "secretStoreRef": {"name": "aws-secrets"},
        "dataFrom": [
            {
                "find": {
                    "path": "app/",
                    "name": {"regexp": "^db-.*"},
                    "tags": {"team": "api"},
                    "conversionStrategy": "Default",
                    "decodingStrategy": "None",
                },
                "rewrite": [
                    {"regexp": {"source": "db-(.*)", "target": "DB_$1"}},
                    {"transform": {"template": "{{ .value | upper }}"}},
                ],
            }
        ],
    }
)
ES_TEMPLATE = external_secret(
    {
        "secretStoreRef": {"name": "aws-secrets"},
        "target": {
            "name": "app-config",
            "template": {
                "type": "Opaque",
                "engineVersion": "v2",
                "mergePolicy": "Replace",
                "metadata": {"labels": {"app": "backend"}, "annotations": {"a": "b"}},
                "data": {"DATABASE_URL": "postgres://app:{{ .password }}@db:5432/app"},
                "templateFrom": [
                    {
                        "configMap": {
                            "name": "tpl",
                            "items": [{"key": "conf", "templateAs": "Values"}],
                        }
                    },
                    {"literal": "x: {{ .password }}", "target": "Annotations"},
                ],
            },
        },
        "data": [{"secretKey": "password", "remoteRef": {"key": "db", "property": "password"}}],
    }
)
ES_CLUSTER_STORE = external_secret(
    {
        "refreshInterval": "0",
        "secretStoreRef": {"name": "global", "kind": "ClusterSecretStore"},
        "target": {"creationPolicy": "Merge", "deletionPolicy": "Merge", "immutable": True},
        "data": [{"secretKey": "token", "remoteRef": {"key": "shared/token"}}],
    }
)
ES_GENERATOR = external_secret(
    {
        "refreshInterval": "30m",
        "target": {"name": "ecr-creds"},
        "dataFrom": [
            {
                "sourceRef": {
                    "generatorRef": {
                        "apiVersion": "generators.external-secrets.io/v1alpha1",
                        "kind": "ECRAuthorizationToken",
                        "name": "ecr",
                    }
                }
            }
        ],
        "data": [
            {
                "secretKey": "other",
                "remoteRef": {"key": "x"},
                "sourceRef": {"storeRef": {"name": "other-store", "kind": "SecretStore"}},
            }
        ],
    }
)
ES_FETCH_METADATA = external_secret(
    {
        "secretStoreRef": {"name": "aws-secrets"},
        "data": [
            {
                "secretKey": "tags",
                "remoteRef": {
                    "key": "db",
                    "decodingStrategy": "Base64URL",
                    "metadataPolicy": "Fetch",
                    "version": "uuid-1",
                },
            }
        ],
    }
)

EXTERNALSECRET_CASES = [
    valid("every defaulted field spelled out", ES_SPELLED_OUT),
    valid("minimal", ES_MINIMAL),
    valid("dataFrom extract", ES_EXTRACT),
    valid("dataFrom find and rewrite", ES_FIND_REWRITE),
    valid("target template", ES_TEMPLATE),
    valid("cluster store, merge policies, immutable", ES_CLUSTER_STORE),
    valid("generator and per-entry store", ES_GENERATOR),
    valid("metadata fetch", ES_FETCH_METADATA),
    valid("empty spec", external_secret({})),
    invalid("creationPolicy case", edit(ES_SPELLED_OUT, ("spec.target.creationPolicy", "owner"))),
    invalid(
        "deletionPolicy Orphan", edit(ES_SPELLED_OUT, ("spec.target.deletionPolicy", "Orphan"))
    ),
    invalid(
        "conversionStrategy Base64",
        edit(ES_SPELLED_OUT, ("spec.data.0.remoteRef.conversionStrategy", "Base64")),
    ),
    invalid(
        "decodingStrategy case",
        edit(ES_SPELLED_OUT, ("spec.data.0.remoteRef.decodingStrategy", "base64")),
    ),
    invalid(
        "metadataPolicy Skip",
        edit(ES_SPELLED_OUT, ("spec.data.0.remoteRef.metadataPolicy", "Skip")),
    ),
    invalid("data entry without remoteRef", edit(ES_MINIMAL, ("spec.data.0.remoteRef", DELETE))),
    invalid("remoteRef without key", edit(ES_SPELLED_OUT, ("spec.data.0.remoteRef.key", DELETE))),
    invalid("refreshInterval as seconds", edit(ES_SPELLED_OUT, ("spec.refreshInterval", 3600))),
    invalid(
        "secretStoreRef without name", edit(ES_SPELLED_OUT, ("spec.secretStoreRef.name", DELETE))
    ),
    invalid(
        "sourceRef with store and generator",
        edit(
            ES_GENERATOR, ("spec.data.0.sourceRef.generatorRef", {"kind": "Password", "name": "p"})
        ),
    ),
    invalid(
        "secretkey typo",
        edit(ES_MINIMAL, ("spec.data.0", {"secretkey": "k", "remoteRef": {"key": "k"}})),
    ),
    invalid("engineVersion v3", edit(ES_TEMPLATE, ("spec.target.template.engineVersion", "v3"))),
    invalid(
        "property left empty (null)", edit(ES_SPELLED_OUT, ("spec.data.0.remoteRef.property", None))
    ),
]


# --- ServiceMonitor ----------------------------------------------------------------------------


def service_monitor(spec: Doc | None) -> Doc:
    doc: Doc = {
        "apiVersion": MONITORING,
        "kind": "ServiceMonitor",
        "metadata": {
            "name": "backend",
            "namespace": "monitoring",
            "labels": {"release": "monitoring"},
        },
    }
    if spec is not None:
        doc["spec"] = spec
    return doc


SM_MINIMAL = service_monitor(
    {"selector": {"matchLabels": {"app": "backend"}}, "endpoints": [{"port": "http"}]}
)
SM_SCRAPE = service_monitor(
    {
        "selector": {"matchLabels": {"app": "backend"}},
        "namespaceSelector": {"matchNames": ["backend"]},
        "jobLabel": "app.kubernetes.io/name",
        "targetLabels": ["team"],
        "podTargetLabels": ["version"],
        "endpoints": [
            {
                "port": "metrics",
                "path": "/metrics",
                "scheme": "http",
                "interval": "30s",
                "scrapeTimeout": "10s",
                "honorLabels": True,
                "params": {"format": ["prometheus"]},
            }
        ],
    }
)
SM_RELABEL = service_monitor(
    {
        "selector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]},
        "endpoints": [
            {
                "targetPort": 9100,
                "interval": "1m30s",
                "relabelings": [
                    {
                        "action": "replace",
                        "sourceLabels": ["__meta_kubernetes_pod_node_name"],
                        "targetLabel": "node",
                    },
                    {
                        "action": "HashMod",
                        "modulus": 4,
                        "sourceLabels": ["__address__"],
                        "targetLabel": "shard",
                    },
                ],
                "metricRelabelings": [
                    {"action": "drop", "regex": "go_.*", "sourceLabels": ["__name__"]}
                ],
            }
        ],
    }
)
SM_TLS = service_monitor(
    {
        "selector": {},
        "endpoints": [
            {
                "port": "https",
                "scheme": "https",
                "tlsConfig": {
                    "insecureSkipVerify": True,
                    "serverName": "backend.svc",
                    "ca": {"secret": {"name": "ca", "key": "ca.crt"}},
                },
                "bearerTokenSecret": {"name": "token", "key": "token"},
            }
        ],
    }
)
SM_AUTH = service_monitor(
    {
        "selector": {"matchLabels": {"app": "kibana"}},
        "endpoints": [
            {
                "targetPort": "http",
                "basicAuth": {
                    "username": {"name": "b", "key": "u"},
                    "password": {"name": "b", "key": "p", "optional": False},
                },
            },
            {
                "port": "alt",
                "authorization": {"type": "Bearer", "credentials": {"name": "t", "key": "k"}},
            },
        ],
    }
)
SM_LIMITS = service_monitor(
    {
        "selector": {"matchLabels": {"app": "backend"}},
        "namespaceSelector": {"any": True},
        "endpoints": [
            {"port": "http", "followRedirects": False, "enableHttp2": True, "filterRunning": True}
        ],
        "sampleLimit": 10000,
        "targetLimit": 0,
        "labelLimit": 64,
        "scrapeProtocols": ["PrometheusProto", "OpenMetricsText1.0.0"],
        "fallbackScrapeProtocol": "PrometheusText0.0.4",
        "attachMetadata": {"node": True},
        "scrapeClass": "default",
    }
)
SM_HISTOGRAMS = service_monitor(
    {
        "selector": {"matchLabels": {"app": "backend"}},
        "endpoints": [],
        "bodySizeLimit": "10MiB",
        "nativeHistogramMinBucketFactor": "1.1",
        "nativeHistogramBucketLimit": 160,
        "scrapeNativeHistograms": True,
        "selectorMechanism": "RoleSelector",
        "serviceDiscoveryRole": "EndpointSlice",
    }
)
SM_PROXY = service_monitor(
    {
        "selector": {"matchLabels": {"app": "backend"}},
        "endpoints": [
            {
                "port": "http",
                "proxyUrl": "http://proxy:3128",
                "noProxy": "10.0.0.0/8",
                "oauth2": {
                    "clientId": {"secret": {"name": "o", "key": "id"}},
                    "clientSecret": {"name": "o", "key": "s"},
                    "tokenUrl": "https://auth/token",
                },
            }
        ],
    }
)

SERVICEMONITOR_CASES = [
    valid("minimal", SM_MINIMAL),
    valid("scrape settings", SM_SCRAPE),
    valid("relabelings", SM_RELABEL),
    valid("tls and bearer token", SM_TLS),
    valid("basic auth and authorization", SM_AUTH),
    valid("limits and protocols", SM_LIMITS),
    valid("histograms and sizes", SM_HISTOGRAMS),
    valid("proxy and oauth2", SM_PROXY),
    invalid("missing selector", edit(SM_MINIMAL, ("spec.selector", DELETE))),
    invalid("missing endpoints", edit(SM_MINIMAL, ("spec.endpoints", DELETE))),
    invalid("missing spec", service_monitor(None)),
    invalid("numeric port", edit(SM_MINIMAL, ("spec.endpoints.0.port", 8080))),
    invalid("interval with a space", edit(SM_SCRAPE, ("spec.endpoints.0.interval", "30 s"))),
    invalid("scheme tcp", edit(SM_SCRAPE, ("spec.endpoints.0.scheme", "tcp"))),
    invalid(
        "relabel action", edit(SM_RELABEL, ("spec.endpoints.0.relabelings.0.action", "replace_all"))
    ),
    invalid("negative sampleLimit", edit(SM_LIMITS, ("spec.sampleLimit", -1))),
    invalid(
        "matchNames as string", edit(SM_SCRAPE, ("spec.namespaceSelector.matchNames", "backend"))
    ),
    invalid("endpoint typo", edit(SM_RELABEL, ("spec.endpoints.0.metricsRelabelings", []))),
    invalid(
        "bearerTokenSecret without key",
        edit(SM_TLS, ("spec.endpoints.0.bearerTokenSecret.key", DELETE)),
    ),
    invalid(
        "duplicate scrape protocol",
        edit(SM_LIMITS, ("spec.scrapeProtocols", ["PrometheusProto", "PrometheusProto"])),
    ),
    invalid(
        "selector expression without operator",
        edit(SM_RELABEL, ("spec.selector.matchExpressions.0.operator", DELETE)),
    ),
    invalid("bodySizeLimit without unit", edit(SM_HISTOGRAMS, ("spec.bodySizeLimit", "10"))),
]

CORPUS: dict[str, list[Case]] = {
    "Application": APPLICATION_CASES,
    "AppProject": APPPROJECT_CASES,
    "ApplicationSet": APPLICATIONSET_CASES,
    "SecretStore": SECRETSTORE_CASES,
    "ClusterSecretStore": CLUSTERSECRETSTORE_CASES,
    "ExternalSecret": EXTERNALSECRET_CASES,
    "ServiceMonitor": SERVICEMONITOR_CASES,
}
ALL_CASES = [case for cases in CORPUS.values() for case in cases]


# ================================================================================================
# The oracle
# ================================================================================================


def load_upstream(directory: Path) -> CrdSchemas:
    """The upstream CRDs; without them gigrouter's schemas cannot be compared (skip, or under
    CI fail)."""
    return CrdSchemas(load_crds(require_dir(directory, "upstream CRD directory")))


@pytest.fixture(scope="module")
def upstream() -> CrdSchemas:
    return load_upstream(UPSTREAM_CRDS)


def oracle_errors(upstream: CrdSchemas, doc: Doc) -> list[SchemaError]:
    if doc.get("kind") == "ClusterSecretStore":
        doc = {**doc, "kind": "SecretStore"}
    return upstream.validate(doc)


def paths(errors: list[SchemaError]) -> set[str]:
    return {error.path for error in errors}


def test_missing_upstream_directory_skips_and_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "shared" / "crds"
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=re.escape(str(missing)) + " is absent"):
        load_upstream(missing)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=re.escape(str(missing)) + " is absent, and CI"):
        load_upstream(missing)


def test_corpus_has_enough_cases_of_each_verdict() -> None:
    assert sorted(CORPUS) == sorted(kind for _, kind in SCHEMAS.known_kinds())
    for kind, cases in CORPUS.items():
        assert all(case.kind == kind for case in cases), kind
        assert sum(case.valid for case in cases) >= 8, kind
        assert sum(not case.valid for case in cases) >= 8, kind


@pytest.mark.parametrize("case", ALL_CASES, ids=[f"{c.kind}: {c.name}" for c in ALL_CASES])
def test_verdict_matches_the_upstream_crd(case: Case, upstream: CrdSchemas) -> None:
    ours = SCHEMAS.validate(case.doc)
    theirs = oracle_errors(upstream, case.doc)
    assert (not ours) == case.valid, ours
    assert (not theirs) == case.valid, theirs
    # Both name the same places (the messages may word a pattern differently).
    assert paths(ours) == paths(theirs)


# --- every single edit of every valid document -------------------------------------------------

UNKNOWN_FIELD = "gigrouterNoSuchField"
LOOSE_GENERATORS = {"plugin", "pullRequest", "scmProvider", "clusterDecisionResource"}


def loose_subtree(kind: str, path: Path_) -> bool:
    """True at and below a place where gigrouter's schema is deliberately looser than the CRD."""

    def inside_list_item(parent: str, names: set[str]) -> bool:
        # (..., parent, <index>, name, ...)
        return any(
            path[i] == parent and len(path) > i + 2 and path[i + 2] in names
            for i in range(len(path))
        )

    if kind in ("SecretStore", "ClusterSecretStore"):
        return len(path) >= 3 and path[:2] == ("spec", "provider") and path[2] != "aws"
    if kind == "ServiceMonitor":
        return inside_list_item("endpoints", {"tlsConfig", "oauth2", "proxyConnectHeader"})
    if kind == "ApplicationSet":
        return inside_list_item("generators", LOOSE_GENERATORS)
    return False


def nodes(value: object, path: Path_ = ()) -> Iterator[tuple[Path_, object]]:
    if path:
        yield path, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from nodes(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from nodes(child, (*path, index))


def replaced(doc: Doc, path: Path_, value: object) -> Doc:
    out = copy.deepcopy(doc)
    parent: Any = out
    for part in path[:-1]:
        parent = parent[part]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return out


def other_values(value: object) -> list[object]:
    if isinstance(value, bool):
        return ["true", None]
    if isinstance(value, int):
        return ["12", -1, 1.5, None]
    if isinstance(value, str):
        return [12, "", value + "X", None]
    if isinstance(value, list):
        return ["text", {}, [*value, value[0]] if value else [{UNKNOWN_FIELD: 1}]]
    if isinstance(value, dict):
        return ["text", [], {}, {**value, UNKNOWN_FIELD: "x"}]
    return ["text"]


def mutants(doc: Doc) -> Iterator[tuple[str, Doc]]:
    yield "unknown top-level field", {**doc, UNKNOWN_FIELD: 1}
    for path, value in nodes(doc):
        if path[0] in ("apiVersion", "kind") or loose_subtree(str(doc["kind"]), path):
            continue
        if isinstance(path[-1], str):
            yield f"delete {path}", replaced(doc, path, DELETE)
        for other in other_values(value):
            yield f"set {path} to {json.dumps(other)}", replaced(doc, path, other)


VALID_CASES = [case for case in ALL_CASES if case.valid]


@pytest.mark.parametrize("case", VALID_CASES, ids=[f"{c.kind}: {c.name}" for c in VALID_CASES])
def test_every_single_edit_gets_the_upstream_verdict(case: Case, upstream: CrdSchemas) -> None:
    disagreements = []
    count = 0
    for label, mutant in mutants(case.doc):
        count += 1
        ours = SCHEMAS.validate(mutant)
        theirs = oracle_errors(upstream, mutant)
        if bool(ours) != bool(theirs) or paths(ours) != paths(theirs):
            disagreements.append(f"{label}:\n  ours:   {ours}\n  theirs: {theirs}")
    assert count > 10
    assert not disagreements, "\n".join(disagreements)


# ================================================================================================
# The schemas themselves
# ================================================================================================


def schema_files() -> list[str]:
    folder = resources.files("gigrouter").joinpath("schemas")
    return sorted(f.name for f in folder.iterdir() if f.name.endswith(".json"))


def test_known_kinds() -> None:
    assert SCHEMAS.known_kinds() == [
        ("argoproj.io/v1alpha1", "AppProject"),
        ("argoproj.io/v1alpha1", "Application"),
        ("argoproj.io/v1alpha1", "ApplicationSet"),
        ("external-secrets.io/v1beta1", "ClusterSecretStore"),
        ("external-secrets.io/v1beta1", "ExternalSecret"),
        ("external-secrets.io/v1beta1", "SecretStore"),
        ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ]
    assert not SCHEMAS.has_schema("external-secrets.io/v1alpha1", "SecretStore")
    assert not SCHEMAS.has_schema("argoproj.io/v1alpha1", "Rollout")


@pytest.mark.parametrize("name", schema_files())
def test_schema_file_is_valid_2020_12_with_its_own_id(name: str) -> None:
    schema = json.loads(resources.files("gigrouter").joinpath("schemas").joinpath(name).read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == custom_kinds.SCHEMA_BASE_URI + name


def test_every_schema_file_is_used_and_every_reference_exists() -> None:
    wanted = [custom_kinds.schema_file(*key) for key in SCHEMAS.known_kinds()]
    used: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name is not None and name not in used:
            used.add(name)
            wanted.extend(custom_kinds._referenced_files(custom_kinds._load(name)))
    assert used == set(schema_files())


def test_unknown_kind_raises_key_error() -> None:
    with pytest.raises(KeyError, match=r"example\.io/v1 Widget"):
        SCHEMAS.validate({"apiVersion": "example.io/v1", "kind": "Widget"})


def test_schemas_load_lazily_and_once() -> None:
    custom_kinds._load.cache_clear()
    custom_kinds._validator.cache_clear()
    custom_kinds._fast_check.cache_clear()
    fresh = CustomKindSchemas()
    assert fresh.has_schema(ESO, "ExternalSecret")
    assert fresh.known_kinds()
    assert custom_kinds._load.cache_info().currsize == 0
    fresh.validate(ES_SPELLED_OUT)
    fresh.validate(ES_MINIMAL)
    CustomKindSchemas().validate(ES_TEMPLATE)
    info = custom_kinds._load.cache_info()
    assert info.currsize == 3  # the ExternalSecret schema, common.json, objectmeta.json
    assert custom_kinds._fast_check.cache_info().misses == 1
    assert custom_kinds._validator.cache_info().misses == 0  # valid documents never need it
    assert fresh.validate({**ES_MINIMAL, "spec": {"bogusField": 1}})
    assert custom_kinds._validator.cache_info().misses == 1


def test_custom_and_crd_errors_share_one_wording(upstream: CrdSchemas) -> None:
    doc = edit(
        ES_SPELLED_OUT,
        ("spec.target.creationPolicy", "owner"),
        ("spec.data.0.remoteRef.key", DELETE),
        ("spec.data.0.secretkey", "x"),
        ("spec.refreshInterval", 60),
    )
    assert SCHEMAS.validate(doc) == upstream.validate(doc)


# --- key rules, one kind at a time (these run without the upstream CRDs) -----------------------

RULES = [
    (
        edit(APP_MINIMAL, ("spec.project", DELETE), ("spec.syncpolicy", {})),
        [
            SchemaError("spec.project", 'missing required field "project"'),
            SchemaError(
                "spec.syncpolicy", 'unknown field "syncpolicy"; did you mean "syncPolicy"?'
            ),
        ],
    ),
    (
        edit(
            APP_MULTI_SOURCE_HELM,
            ("spec.sources.1.repoURL", DELETE),
            ("spec.sources.0.helm.valueFile", []),
        ),
        [
            SchemaError(
                "spec.sources[0].helm.valueFile",
                'unknown field "valueFile"; did you mean "valueFiles"?',
            ),
            SchemaError("spec.sources[1].repoURL", 'missing required field "repoURL"'),
        ],
    ),
    (
        edit(
            APP_HELM_VALUES_OBJECT,
            ("spec.source.helm.valuesObject", {"any": {"deep": [1, {"x": None}]}}),
        ),
        [],
    ),
    (
        edit(
            APP_HELM_VALUES_OBJECT,
            ("spec.ignoreDifferences.0.kind", DELETE),
            ("spec.ignoreDifferences.1.jqPathExpressions", ".a"),
        ),
        [
            SchemaError("spec.ignoreDifferences[0].kind", 'missing required field "kind"'),
            SchemaError(
                "spec.ignoreDifferences[1].jqPathExpressions", 'expected array, got string ".a"'
            ),
        ],
    ),
    (
        edit(
            APP_MULTI_SOURCE_HELM,
            ("metadata.annotations", {"argocd.argoproj.io/sync-wave": 3}),
            ("metadata.finalizers", [True]),
        ),
        [
            SchemaError(
                "metadata.annotations.argocd.argoproj.io/sync-wave",
                "expected string, got integer 3",
            ),
            SchemaError("metadata.finalizers[0]", "expected string, got boolean true"),
        ],
    ),
    (
        edit(APP_SOURCE_HYDRATOR, ("spec.sourceHydrator.syncSource.path", "/")),
        [SchemaError("spec.sourceHydrator.syncSource.path", "is not allowed here")],
    ),
    (
        project(
            {
                "description": "d" * 300,
                "namespaceResourceWhitelist": [{"group": "", "kind": "Pod", "name": "x"}],
            }
        ),
        [
            SchemaError("spec.description", "is 300 characters long; at most 255 allowed"),
            SchemaError("spec.namespaceResourceWhitelist[0].name", 'unknown field "name"'),
        ],
    ),
    (
        appset([{"lists": {}}, {"git": {"repoURL": GITOPS_REPO}}]),
        [
            SchemaError("spec.generators[0].lists", 'unknown field "lists"; did you mean "list"?'),
            SchemaError("spec.generators[1].git.revision", 'missing required field "revision"'),
        ],
    ),
    (
        edit(
            APPSET_LIST,
            ("spec.template.spec.destination", DELETE),
            ("spec.syncPolicy", {"applicationsSync": "sync-all"}),
        ),
        [
            SchemaError(
                "spec.syncPolicy.applicationsSync",
                '"sync-all" is not an allowed value; use one of: "create-only", "create-update", '
                '"create-delete", "sync"',
            ),
            SchemaError("spec.template.spec.destination", 'missing required field "destination"'),
        ],
    ),
    (
        store(
            {
                "provider": {
                    "aws": {"service": "SecretsManager", "region": "x"},
                    "vault": {"server": "s", "auth": {"tokenSecretRef": {"name": "t", "key": "k"}}},
                }
            }
        ),
        [SchemaError("spec.provider", "sets 2 fields (aws, vault); at most 1 allowed")],
    ),
    (
        store({"provider": {"amazon": {}}}),
        [SchemaError("spec.provider.amazon", 'unknown field "amazon"')],
    ),
    (
        store({"provider": {}}),
        [SchemaError("spec.provider", "must set at least 1 field(s)")],
    ),
    (
        edit(
            STORE_AWS_JWT,
            ("spec.provider.aws.service", "SSM"),
            ("spec.provider.aws.auth.jwt.serviceAccountRef", {}),
        ),
        [
            SchemaError(
                "spec.provider.aws.auth.jwt.serviceAccountRef.name", 'missing required field "name"'
            ),
            SchemaError(
                "spec.provider.aws.service",
                '"SSM" is not an allowed value; use one of: "SecretsManager", "ParameterStore"',
            ),
        ],
    ),
    (
        edit(STORE_VAULT, ("spec.provider.vault", {"anything": {"goes": 1}})),
        [
            SchemaError("spec.provider.vault.anything", 'unknown field "anything"'),
            SchemaError("spec.provider.vault.auth", 'missing required field "auth"'),
            SchemaError("spec.provider.vault.server", 'missing required field "server"'),
        ],
    ),
    (
        edit(
            ES_SPELLED_OUT,
            ("spec.target.deletionPolicy", "Orphan"),
            ("spec.data.0.remoteRef.conversionStrategy", "unicode"),
            ("spec.data.0.remoteRef.metadataPolicy", "fetch"),
        ),
        [
            SchemaError(
                "spec.data[0].remoteRef.conversionStrategy",
                '"unicode" is not an allowed value; use one of: "Default", "Unicode"; did you mean "Unicode"?',
            ),
            SchemaError(
                "spec.data[0].remoteRef.metadataPolicy",
                '"fetch" is not an allowed value; use one of: "None", "Fetch"; did you mean "Fetch"?',
            ),
            SchemaError(
                "spec.target.deletionPolicy",
                '"Orphan" is not an allowed value; use one of: "Delete", "Merge", "Retain"',
            ),
        ],
    ),
    (
        edit(
            ES_GENERATOR, ("spec.data.0.sourceRef.generatorRef", {"kind": "Password", "name": "p"})
        ),
        [
            SchemaError(
                "spec.data[0].sourceRef",
                "sets 2 fields (storeRef, generatorRef); at most 1 allowed",
            )
        ],
    ),
    (
        edit(SM_SCRAPE, ("spec.endpoints.0.port", 8080), ("spec.endpoints.0.interval", "30 s")),
        [
            SchemaError(
                "spec.endpoints[0].interval",
                '"30 s" does not match the pattern '
                "^(0|([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?)$",
            ),
            SchemaError("spec.endpoints[0].port", "expected string, got integer 8080"),
        ],
    ),
    (
        edit(
            SM_TLS,
            ("spec.endpoints.0.tlsConfig", {"whatever": {"is": ["fine"]}}),
            ("spec.sampleLimit", -5),
        ),
        [SchemaError("spec.sampleLimit", "must be at least 0, got -5")],
    ),
    (
        service_monitor({"endpoints": [{"port": "http", "scheme": "tcp"}]}),
        [
            SchemaError(
                "spec.endpoints[0].scheme",
                '"tcp" is not an allowed value; use one of: "http", "https", "HTTP", "HTTPS"',
            ),
            SchemaError("spec.selector", 'missing required field "selector"'),
        ],
    ),
]


@pytest.mark.parametrize(
    ("doc", "expected"), RULES, ids=[f"{d['kind']}-{i}" for i, (d, _) in enumerate(RULES)]
)
def test_key_rules(doc: Doc, expected: list[SchemaError]) -> None:
    assert SCHEMAS.validate(doc) == expected


@pytest.mark.parametrize("case", ALL_CASES, ids=[f"{c.kind}: {c.name}" for c in ALL_CASES])
def test_corpus_verdict_without_the_oracle(case: Case) -> None:
    """The corpus labels hold for gigrouter's schemas even where the CRDs are not available."""
    assert (not SCHEMAS.validate(case.doc)) == case.valid


def is_sorted_by_path(errors: list[SchemaError]) -> bool:
    def key(error: SchemaError) -> list[tuple[int, int, str]]:
        parts = re.findall(r"\[(\d+)\]|([^.\[\]]+)", error.path)
        return [(0, int(i), "") if i else (1, 0, name) for i, name in parts]

    return [key(e) for e in errors] == sorted(key(e) for e in errors)


def test_all_errors_at_once_sorted() -> None:
    changes: list[tuple[str, object]] = [
        *[(f"spec.ignoreDifferences.{i}.kind", DELETE) for i in range(3)],
        ("spec.project", 7),
        ("metadata.labelz", {}),
        ("spec.source.helm.skipCrds", "no"),
    ]
    errors = SCHEMAS.validate(edit(APP_HELM_VALUES_OBJECT, *changes))
    # one error per change, at the changed field (list indexes written as [i])
    expected = [re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", dotted) for dotted, _ in changes]
    assert sorted(e.path for e in errors) == sorted(expected)
    assert is_sorted_by_path(errors)
