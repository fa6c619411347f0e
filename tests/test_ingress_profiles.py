"""Ingress profiles: aws-alb and generic controllers, per-Ingress annotations and TLS, and a
platform without the `aws` block.

The renders go through the installed command on real files in tmp_path (`gigrouter render`,
then `gigrouter validate` of the written tree); the Ingresses are checked against
kubernetes-validate (strict) as tests/test_manifests_valid.py checks the default tree.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from helpers import DEFAULT_CONFIG, documents, render_text

from gigrouter.config.load import load_platform
from gigrouter.docs import platform_readme
from gigrouter.errors import ConfigError
from gigrouter.layout import TreeSettings

ALB = "alb.ingress.kubernetes.io/"
GOLDEN = Path(__file__).resolve().parent / "golden"

# A platform with no `aws` block: ingress-nginx and cert-manager, one web app with two hosts.
NGINX = """\
name: shop
domain: shop.example.com
gitops:
  repo_url: https://git.example.com/shop/gitops.git
ingress_profiles:
  nginx:
    controller: generic
    class_name: nginx
    annotations:
      nginx.ingress.kubernetes.io/proxy-body-size: 8m
    cluster_issuer: letsencrypt-prod
default_ingress_profile: nginx
applications:
  - name: frontend
    file: frontend.yaml
    namespace: web
    path: web
    manifests: frontend
components:
  frontend:
    name: shop
    image: registry.example.com/shop/web:1.4.2
    port: 8080
    readiness_probe: {type: http, path: /healthz}
    resources:
      requests: {cpu: 100m, memory: 128Mi}
      limits: {memory: 256Mi}
    service: {name: shop, port: 80}
    ingress:
      name: shop
      tls: true
      routes:
        - host: shop.example.com
        - host: www.shop.example.com
"""


def run(exe: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, check=False)


def rendered(exe: str, tmp_path: Path, text: str) -> list[dict[str, Any]]:
    """Render ``text`` with the installed command, validate the tree, return its documents."""
    (tmp_path / "platform.yaml").write_text(text, encoding="utf-8")
    done = run(exe, "render", "-c", "platform.yaml", "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    checked = run(exe, "validate", "out", "--strict", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "clean: no errors or warnings" in checked.stdout
    docs = []
    for path in sorted((tmp_path / "out").rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and "kind" in doc:
                docs.append(doc)
    return docs


def ingresses(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == "Ingress"}


def strictly_valid(doc: dict[str, Any]) -> None:
    try:
        kubernetes_validate.validate(doc, "1.30", strict=True)
    except kubernetes_validate.ValidationError as exc:
        pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message}")


def errors_of(tmp_path: Path, text: str) -> list[str]:
    config = tmp_path / "platform.yaml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_platform(config, display="platform.yaml")
    return list(info.value.lines())


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the first line of ``text`` that contains ``fragment``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


# --- a platform without AWS -----------------------------------------------------------------


def test_nginx_without_aws_renders_class_tls_issuer_and_no_alb(
    gigrouter_exe: str, tmp_path: Path
) -> None:
    docs = rendered(gigrouter_exe, tmp_path, NGINX)
    shop = ingresses(docs)["shop"]
    assert shop["spec"]["ingressClassName"] == "nginx"
    assert shop["spec"]["tls"] == [
        {"hosts": ["shop.example.com", "www.shop.example.com"], "secretName": "shop-tls"}
    ]
    assert shop["metadata"]["annotations"] == {
        "cert-manager.io/cluster-issuer": "letsencrypt-prod",
        "nginx.ingress.kubernetes.io/proxy-body-size": "8m",
    }
    strictly_valid(shop)
    every = [k for d in docs for k in (d["metadata"].get("annotations") or {})]
    assert not [k for k in every if k.startswith(ALB)]
    text = "\n".join(p.read_text() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert "arn:aws" not in text and "amazonaws" not in text and "ALB" not in text
    readme = (tmp_path / "out" / "README.md").read_text()
    assert "`shop` serves `shop.example.com`" in readme
    assert "EKS" not in readme
    assert "ingress controller of class `nginx`" in readme
    assert "ClusterIssuer `letsencrypt-prod`" in readme
    assert (
        "| `shop.example.com` | `/` | `shop` | 80 | `web` | Ingress `shop` | Secret `shop-tls` |"
        in readme
    )


def test_a_tls_list_an_issuer_override_and_own_annotations(tmp_path: Path) -> None:
    text = NGINX.replace(
        "      tls: true\n",
        "      tls:\n"
        "        - hosts: [www.shop.example.com]\n"
        "          secret_name: www-cert\n"
        "      issuer: shop-issuer\n"
        "      annotations:\n"
        "        nginx.ingress.kubernetes.io/proxy-body-size: 1m\n"
        "        nginx.ingress.kubernetes.io/rewrite-target: /\n",
    )
    docs = dict(documents(render_text(text)))
    shop = docs["web/ingress.yaml"]
    assert shop["spec"]["tls"] == [{"hosts": ["www.shop.example.com"], "secretName": "www-cert"}]
    # the Ingress's own annotations come after its profile's; its issuer replaces the profile's
    assert shop["metadata"]["annotations"] == {
        "cert-manager.io/issuer": "shop-issuer",
        "nginx.ingress.kubernetes.io/proxy-body-size": "1m",
        "nginx.ingress.kubernetes.io/rewrite-target": "/",
    }
    strictly_valid(shop)


def test_a_generic_ingress_without_tls_gets_no_issuer_annotation() -> None:
    text = NGINX.replace("      tls: true\n", "")
    shop = dict(documents(render_text(text)))["web/ingress.yaml"]
    assert "tls" not in shop["spec"]
    assert shop["metadata"]["annotations"] == {"nginx.ingress.kubernetes.io/proxy-body-size": "8m"}


def test_the_only_profile_is_the_default() -> None:
    text = NGINX.replace("default_ingress_profile: nginx\n", "")
    shop = dict(documents(render_text(text)))["web/ingress.yaml"]
    assert shop["spec"]["ingressClassName"] == "nginx"


# --- mixing profiles ------------------------------------------------------------------------


def mixed_text() -> str:
    """The default platform with an nginx profile for the monitoring Ingress and Grafana's."""
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    text = text.replace(
        "\napplications:\n",
        "\ningress_profiles:\n"
        "  nginx:\n"
        "    controller: generic\n"
        "    class_name: nginx\n"
        "    issuer: letsencrypt\n"
        "\napplications:\n",
        1,
    )
    text = text.replace(
        "      name: monitoring-ingress\n      group_order: 30\n",
        "      name: monitoring-ingress\n      profile: nginx\n      tls: true\n",
    )
    text = text.replace(
        "        name: monitoring-grafana\n        group_order: 30\n",
        "        name: monitoring-grafana\n        profile: nginx\n"
        "        tls: [{hosts: [grafana.yassinabuelsheikh.store], secret_name: grafana-tls}]\n",
    )
    assert text.count("profile: nginx") == 2
    return text


def test_alb_and_nginx_ingresses_in_one_platform(gigrouter_exe: str, tmp_path: Path) -> None:
    docs = rendered(gigrouter_exe, tmp_path, mixed_text())
    found = ingresses(docs)
    for name in ("backend-ingress", "frontend-ingress"):
        alb = found[name]
        assert alb["spec"]["ingressClassName"] == "alb"
        assert alb["metadata"]["annotations"][ALB + "group.name"] == "shared-alb"
        assert alb["metadata"]["annotations"][ALB + "certificate-arn"].startswith("arn:aws:acm:")
        assert "tls" not in alb["spec"]
        strictly_valid(alb)
    nginx = found["monitoring-ingress"]
    assert nginx["spec"]["ingressClassName"] == "nginx"
    assert nginx["metadata"]["annotations"] == {"cert-manager.io/issuer": "letsencrypt"}
    assert nginx["spec"]["tls"] == [
        {
            "hosts": ["kibana.yassinabuelsheikh.store", "prometheus.yassinabuelsheikh.store"],
            "secretName": "monitoring-ingress-tls",
        }
    ]
    strictly_valid(nginx)
    values = yaml.safe_load((tmp_path / "out" / "observability" / "values.yaml").read_text())
    grafana = values["grafana"]["ingress"]
    assert grafana["ingressClassName"] == "nginx"
    assert grafana["annotations"] == {"cert-manager.io/issuer": "letsencrypt"}
    assert grafana["tls"] == [
        {"hosts": ["grafana.yassinabuelsheikh.store"], "secretName": "grafana-tls"}
    ]
    readme = (tmp_path / "out" / "README.md").read_text()
    assert "The routes of ingress profile `alb` join one internet-facing ALB" in readme
    assert "The routes of ingress profile `nginx` go through the ingress controller" in readme
    assert readme.index("profile `alb` join") < readme.index("profile `nginx` go")
    assert "| order | profile | TLS certificate |" in readme
    assert (
        "| Ingress `monitoring-ingress` |   | `nginx` | Secret `monitoring-ingress-tls` |" in readme
    )


def test_the_legacy_alb_block_is_the_default_alb_profile() -> None:
    """`alb:` and a declared aws-alb profile with the same settings render the same Ingresses."""
    base = DEFAULT_CONFIG.read_text(encoding="utf-8")
    start = base.index("\nalb:\n")
    end = base.index("\napplications:\n")
    block = base[start + 1 : end]
    profile = "ingress_profiles:\n  edge:\n    controller: aws-alb\n" + "".join(
        "  " + line + "\n" for line in block.splitlines()[1:] if line.strip()
    )
    declared = base[: start + 1] + profile + "default_ingress_profile: edge\n" + base[end:]
    old = {p: d for p, d in documents(render_text(base)) if d["kind"] == "Ingress"}
    new = {p: d for p, d in documents(render_text(declared)) if d["kind"] == "Ingress"}
    assert new == old and len(old) == 3


def test_a_second_alb_profile_with_its_own_certificate_and_annotations() -> None:
    arn = "arn:aws:acm:eu-north-1:231056963705:certificate/internal"
    text = DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
        "\napplications:\n",
        "\ningress_profiles:\n"
        "  internal:\n"
        "    controller: aws-alb\n"
        "    group_name: internal-alb\n"
        "    scheme: internal\n"
        f"    certificate_arn: {arn}\n"
        "    annotations:\n"
        f"      {ALB}wafv2-acl-arn: arn:aws:wafv2:eu-north-1:231056963705:regional/webacl/x\n"
        "\napplications:\n",
        1,
    )
    text = text.replace(
        "      name: frontend-ingress\n", "      name: frontend-ingress\n      profile: internal\n"
    )
    docs = dict(documents(render_text(text)))
    internal = docs["frontend/ingress.yaml"]["metadata"]["annotations"]
    assert internal[ALB + "certificate-arn"] == arn
    assert internal[ALB + "group.name"] == "internal-alb"
    assert internal[ALB + "scheme"] == "internal"
    assert internal[ALB + "wafv2-acl-arn"].endswith("webacl/x")
    assert list(internal) == sorted(internal)
    shared = docs["backend/ingress.yaml"]["metadata"]["annotations"]
    assert shared[ALB + "group.name"] == "shared-alb"
    assert shared[ALB + "certificate-arn"].endswith("5e76be6b-fbf8-474d-a62d-9e746ca23b19")
    assert ALB + "wafv2-acl-arn" not in shared


# --- errors name the key and its line -------------------------------------------------------


def test_unknown_profile_has_a_did_you_mean(tmp_path: Path) -> None:
    text = NGINX.replace("      tls: true\n", "      tls: true\n      profile: ngnix\n")
    assert errors_of(tmp_path, text) == [
        f"platform.yaml:{line_of(text, 'profile: ngnix')}: components.frontend.ingress.profile:"
        " no ingress profile named 'ngnix' (did you mean 'nginx'?) (profiles: nginx)"
    ]


def test_unknown_default_profile(tmp_path: Path) -> None:
    text = NGINX.replace("default_ingress_profile: nginx", "default_ingress_profile: ngin")
    assert errors_of(tmp_path, text) == [
        f"platform.yaml:{line_of(text, 'default_ingress_profile')}: default_ingress_profile:"
        " no ingress profile named 'ngin' (did you mean 'nginx'?) (profiles: nginx)"
    ]


def test_alb_annotation_on_a_generic_ingress(tmp_path: Path) -> None:
    text = NGINX.replace(
        "      tls: true\n", "      tls: true\n      annotations:\n        " + ALB + "scheme: x\n"
    )
    assert errors_of(tmp_path, text) == [
        f"platform.yaml:{line_of(text, ALB)}: components.frontend.ingress.annotations."
        f"{ALB}scheme: '{ALB}scheme' is an ALB annotation, but Ingress 'shop' uses the generic"
        " ingress profile 'nginx' (class 'nginx')"
    ]


def test_alb_annotation_on_a_generic_profile(tmp_path: Path) -> None:
    text = NGINX.replace(
        "      nginx.ingress.kubernetes.io/proxy-body-size: 8m\n",
        "      nginx.ingress.kubernetes.io/proxy-body-size: 8m\n      " + ALB + "scheme: x\n",
    )
    assert errors_of(tmp_path, text) == [
        f"platform.yaml:{line_of(text, ALB)}: ingress_profiles.nginx.annotations.{ALB}scheme:"
        f" '{ALB}scheme' is an ALB annotation, but ingress profile 'nginx' is generic (class"
        " 'nginx'): no ALB reads it"
    ]


def test_alb_settings_on_a_generic_ingress(tmp_path: Path) -> None:
    text = NGINX.replace("      tls: true\n", "      tls: true\n      group_order: 5\n")
    assert errors_of(tmp_path, text) == [
        f"platform.yaml:{line_of(text, 'group_order')}: components.frontend.ingress.group_order:"
        " group_order is an ALB setting, but Ingress 'shop' uses the generic ingress profile"
        " 'nginx' (class 'nginx')"
    ]


def test_tls_host_that_is_not_routed(tmp_path: Path) -> None:
    text = NGINX.replace(
        "      tls: true\n",
        "      tls:\n        - hosts: [shop.example.com, api.shop.example.com]\n"
        "          secret_name: shop-tls\n",
    )
    assert errors_of(tmp_path, text) == [
        f"platform.yaml:{line_of(text, 'api.shop')}: components.frontend.ingress.tls[0]"
        ".hosts[1]: 'api.shop.example.com' is not among the hosts Ingress 'shop' routes"
        " (shop.example.com, www.shop.example.com)"
    ]


def test_issuer_without_tls(tmp_path: Path) -> None:
    text = NGINX.replace("      tls: true\n", "      cluster_issuer: other\n")
    assert errors_of(tmp_path, text) == [
        f"platform.yaml:{line_of(text, 'cluster_issuer: other')}:"
        " components.frontend.ingress.cluster_issuer: Ingress 'shop' has no `tls`, so"
        " cert-manager would issue no certificate for it; add `tls`"
    ]


def test_issuer_on_an_alb_ingress(tmp_path: Path) -> None:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
        "      name: frontend-ingress\n",
        "      name: frontend-ingress\n      tls: true\n      cluster_issuer: letsencrypt\n",
    )
    assert errors_of(tmp_path, text) == [
        f"platform.yaml:{line_of(text, 'cluster_issuer: letsencrypt')}:"
        " components.frontend.ingress.cluster_issuer: ingress profile 'alb' is aws-alb: the ALB"
        " serves ACM certificates (certificate_arn), not cert-manager's"
    ]


def test_aws_alb_profile_without_aws(tmp_path: Path) -> None:
    text = NGINX.replace(
        "    controller: generic\n    class_name: nginx\n",
        "    controller: aws-alb\n",
    ).replace("    cluster_issuer: letsencrypt-prod\n", "")
    assert errors_of(tmp_path, text) == [
        f"platform.yaml:{line_of(text, 'aws-alb')}: ingress_profiles.nginx.controller: ingress"
        " profile 'nginx' is aws-alb, which needs the `aws` block (the cluster's region, VPC and"
        " certificate)"
    ]


def test_legacy_alb_block_without_aws(tmp_path: Path) -> None:
    text = NGINX + "alb:\n  scheme: internal\n"
    assert errors_of(tmp_path, text) == [
        f"platform.yaml:{line_of(text, 'alb:')}: alb: the `alb` block is an aws-alb ingress"
        " profile, which needs the `aws` block (the cluster's region, VPC and certificate);"
        " declare `ingress_profiles` with `controller: generic` instead"
    ]


def test_the_default_alb_without_aws(tmp_path: Path) -> None:
    text = NGINX.replace(NGINX[NGINX.index("ingress_profiles:") : NGINX.index("applications:")], "")
    assert errors_of(tmp_path, text) == [
        f"platform.yaml:{line_of(text, '      name: shop')}: components.frontend.ingress.name:"
        " Ingress 'shop' would join the default ALB, which needs the `aws` block; declare"
        " `ingress_profiles` (such as `controller: generic` with `class_name: nginx`) and"
        " `default_ingress_profile`"
    ]


def test_no_default_among_several_profiles(tmp_path: Path) -> None:
    text = NGINX.replace(
        "default_ingress_profile: nginx\n",
        "  traefik:\n    controller: generic\n    class_name: traefik\n",
    )
    assert errors_of(tmp_path, text) == [
        f"platform.yaml:{line_of(text, '      name: shop')}: components.frontend.ingress.name:"
        " Ingress 'shop' names no `profile` and there is no default_ingress_profile to fall"
        " back on (profiles: nginx, traefik)"
    ]


def test_irsa_role_without_aws(tmp_path: Path) -> None:
    text = (GOLDEN / "irsa-subdir" / "config.yaml").read_text(encoding="utf-8")
    start = text.index("\naws:\n") + 1
    end = text.index("\n", text.index("certificate_arn:", start)) + 1
    text = text[:start] + text[end:]
    irsa = [e for e in errors_of(tmp_path, text) if "irsa_role_arn:" in e]
    assert irsa == [
        f"platform.yaml:{line_of(text, 'irsa_role_arn')}: components.backend.irsa_role_arn:"
        " an IAM role ARN (EKS IRSA) needs the `aws` block; without it nothing AWS is rendered"
    ]


def test_sync_wave_is_not_an_annotation(tmp_path: Path) -> None:
    text = NGINX.replace(
        "      tls: true\n",
        "      tls: true\n      annotations: {argocd.argoproj.io/sync-wave: '3'}\n",
    )
    (error,) = errors_of(tmp_path, text)
    assert error.startswith(
        f"platform.yaml:{line_of(text, 'sync-wave')}: components.frontend.ingress.annotations:"
    )
    assert "set `wave` instead" in error


def test_two_issuers_on_a_profile_and_on_an_ingress(tmp_path: Path) -> None:
    text = NGINX.replace(
        "    cluster_issuer: letsencrypt-prod\n",
        "    cluster_issuer: letsencrypt-prod\n    issuer: shop-issuer\n",
    ).replace("      tls: true\n", "      tls: true\n      cluster_issuer: a\n      issuer: b\n")
    assert errors_of(tmp_path, text) == [
        f"platform.yaml:{line_of(text, 'issuer: shop-issuer')}: ingress_profiles.nginx.issuer:"
        " ingress profile 'nginx' gives `cluster_issuer` and `issuer`; cert-manager takes one"
    ]
    text = text.replace("    issuer: shop-issuer\n", "")
    assert errors_of(tmp_path, text) == [
        f"platform.yaml:{line_of(text, 'issuer: b')}: components.frontend.ingress.issuer:"
        " Ingress 'shop' gives `cluster_issuer` and `issuer`; cert-manager takes one"
    ]


def test_an_error_inside_a_generic_profile_names_its_key_not_the_controller(
    tmp_path: Path,
) -> None:
    """pydantic puts the discriminator's tag (`generic`) in the location; the path skips it."""
    text = NGINX.replace("    class_name: nginx\n", "    class_name: Nginx_\n")
    (error,) = errors_of(tmp_path, text)
    assert error.startswith(
        f"platform.yaml:{line_of(text, 'Nginx_')}: ingress_profiles.nginx.class_name: 'Nginx_'"
    )
    text = NGINX.replace("    controller: generic\n", "    controller: haproxy\n")
    (error,) = errors_of(tmp_path, text)
    assert error.startswith(
        f"platform.yaml:{line_of(text, 'haproxy') - 1}: ingress_profiles.nginx:"
    )
    assert "'aws-alb', 'generic'" in error


def test_tls_on_an_alb_ingress_lists_its_hosts_and_the_docs_say_acm() -> None:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
        "      name: frontend-ingress\n", "      name: frontend-ingress\n      tls: true\n"
    )
    tree = render_text(text)
    frontend = dict(documents(tree))["frontend/ingress.yaml"]
    assert frontend["spec"]["tls"] == [
        {"hosts": ["yassinabuelsheikh.store"], "secretName": "frontend-ingress-tls"}
    ]
    assert frontend["metadata"]["annotations"][ALB + "group.name"] == "shared-alb"
    assert "cert-manager.io/cluster-issuer" not in frontend["metadata"]["annotations"]
    strictly_valid(frontend)
    readme = tree.files["README.md"]
    assert "| Ingress `frontend-ingress` | 20 | ACM |" in readme
    assert "| Ingress `backend-ingress` | 10 |   |" in readme


def test_an_aws_secret_store_without_aws_needs_its_region(tmp_path: Path) -> None:
    data = json.loads((GOLDEN / "services" / "config.yaml").read_text(encoding="utf-8"))
    del data["aws"]
    data["ingress_profiles"] = {"nginx": {"controller": "generic", "class_name": "nginx"}}
    text = yaml.safe_dump(data, sort_keys=False)
    (error,) = errors_of(tmp_path, text)
    at = line_of(text, "secret_store:")
    assert error == (
        f"platform.yaml:{at}: components.services.secret_store.region: SecretStore 'aws' reads"
        " AWS and takes its region from the `aws` block, which the config does not have; set"
        " the region here"
    )
    data["components"]["services"]["secret_store"]["region"] = "eu-north-1"
    docs = dict(documents(render_text(yaml.safe_dump(data, sort_keys=False))))
    assert docs["services/secretstore.yaml"]["spec"]["provider"]["aws"]["region"] == "eu-north-1"


# --- an AWS cluster without the ALB: the cloud block names only what is used ------------------

EKS_NGINX = NGINX.replace(
    "gitops:", "aws:\n  cluster_name: shop-eks\n  region: eu-west-1\ngitops:", 1
)


def test_an_eks_cluster_on_nginx_needs_no_vpc_or_certificate(tmp_path: Path) -> None:
    config = tmp_path / "platform.yaml"
    config.write_text(EKS_NGINX, encoding="utf-8")
    platform = load_platform(config, display="platform.yaml")
    assert platform.aws is not None and platform.aws.vpc_id is None
    readme = platform_readme(platform, TreeSettings())
    assert "shop-eks" in readme and "VPC" not in readme


def test_an_alb_listening_on_https_needs_a_certificate(tmp_path: Path) -> None:
    text = EKS_NGINX.replace("default_ingress_profile: nginx\n", "").replace(
        "ingress_profiles:\n",
        "ingress_profiles:\n  public:\n    controller: aws-alb\n",
        1,
    )
    text = text.replace("      tls: true\n", "      profile: public\n", 1)
    assert errors_of(tmp_path, text) == [
        f"platform.yaml:{line_of(text, 'public:')}: ingress_profiles.public.certificate_arn:"
        " ingress profile 'public' listens on HTTPS but names no ACM certificate: set its"
        " `certificate_arn`, or `aws.certificate_arn` for every aws-alb profile"
    ]
    with_own = text.replace(
        "    controller: aws-alb\n",
        "    controller: aws-alb\n    certificate_arn: arn:aws:acm:eu-west-1:123456789012:"
        "certificate/11111111-2222-3333-4444-555555555555\n",
        1,
    )
    config = tmp_path / "platform.yaml"
    config.write_text(with_own, encoding="utf-8")
    load_platform(config, display="platform.yaml")


@pytest.mark.parametrize(
    ("key", "setting"),
    [
        (
            "alb.ingress.kubernetes.io/group.name",
            "the profile's group_name (ingress profile 'public')",
        ),
        ("alb.ingress.kubernetes.io/scheme", "the profile's scheme (ingress profile 'public')"),
        ("kubernetes.io/ingress.class", "the profile's class_name"),
        ("cert-manager.io/cluster-issuer", "`cluster_issuer` / `issuer`"),
    ],
)
def test_an_ingress_may_not_replace_what_its_profile_writes(
    tmp_path: Path, key: str, setting: str
) -> None:
    """An Ingress whose own annotations replaced the group, scheme or class would silently
    leave its ALB group or be claimed by another controller."""
    text = EKS_NGINX.replace("default_ingress_profile: nginx\n", "").replace(
        "ingress_profiles:\n",
        "ingress_profiles:\n  public:\n    controller: aws-alb\n    certificate_arn: arn:aws:acm:"
        "eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555\n",
        1,
    )
    text = text.replace(
        "      tls: true\n", f"      profile: public\n      annotations:\n        {key}: x\n", 1
    )
    assert errors_of(tmp_path, text) == [
        f"platform.yaml:{line_of(text, key + ':')}: components.frontend.ingress.annotations"
        f".{key}: {key} is written from {setting}; set that instead"
    ]
