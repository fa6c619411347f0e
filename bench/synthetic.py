"""Synthetic platforms for the benchmark: N web services, each with a Deployment, Service,
Ingress, ConfigMap and ExternalSecret, behind the ALB controller and External Secrets."""

from __future__ import annotations

import json


def synthetic_config(services: int) -> str:
    """A complete platform config (YAML; JSON is YAML) with ``services`` web services."""
    items = []
    for i in range(services):
        name = f"svc-{i:04d}"
        items.append(
            {
                "name": name,
                "image": f"registry.example.com/shop/{name}:1.0.{i}",
                "replicas": 2,
                "port": 8080,
                "wave": 2,
                "support_wave": 1,
                "config": {"LOG_LEVEL": "info", "SERVICE_NAME": name},
                "secrets": [
                    {"secret_key": "API_KEY", "remote_key": f"shop/{name}", "property": "key"}
                ],
                "resources": {
                    "requests": {"cpu": "50m", "memory": "64Mi"},
                    "limits": {"cpu": "200m", "memory": "128Mi"},
                },
                "readiness_probe": {"type": "http", "path": "/healthz"},
                "service": {"name": name, "port": 80, "wave": 3},
                "ingress": {
                    "name": name,
                    "wave": 4,
                    "routes": [{"host": f"{name}.shop.example.com"}],
                },
            }
        )
    config = {
        "name": "shop",
        "domain": "shop.example.com",
        "aws": {
            "cluster_name": "shop",
            "region": "eu-north-1",
            "vpc_id": "vpc-0123456789abcdef0",
            "certificate_arn": (
                "arn:aws:acm:eu-north-1:123456789012:certificate/"
                "11111111-2222-3333-4444-555555555555"
            ),
        },
        "gitops": {"repo_url": "https://git.example.com/shop/gitops.git"},
        "applications": [
            {
                "name": "aws-load-balancer-controller",
                "file": "alb.yaml",
                "namespace": "kube-system",
                "helm": {
                    "chart": "aws-load-balancer-controller",
                    "repo_url": "https://aws.github.io/eks-charts",
                    "version": "3.0.0",
                    "values": {"clusterName": "shop"},
                },
            },
            {
                "name": "external-secrets",
                "file": "external-secrets.yaml",
                "namespace": "external-secrets",
                "depends_on": ["aws-load-balancer-controller"],
                "helm": {
                    "chart": "external-secrets",
                    "repo_url": "https://charts.external-secrets.io",
                    "version": "0.9.13",
                    "values": {"installCRDs": True},
                    "crd_groups": ["external-secrets.io"],
                },
            },
            {
                "name": "services",
                "file": "services.yaml",
                "namespace": "shop",
                "depends_on": ["external-secrets"],
                "path": "services",
                "manifests": "services",
            },
        ],
        "components": {
            "services": {
                "secret_store": {"name": "aws", "wave": 0},
                "service_account": "services-sa",
                "items": items,
            }
        },
        "externals": [
            {
                "kind": "ServiceAccount",
                "namespace": "shop",
                "name": "services-sa",
                "reason": "Pre-created with its IRSA role",
            }
        ],
    }
    return json.dumps(config, indent=1) + "\n"
