"""deploy/kubernetes/: every manifest valid for Kubernetes 1.31 (kubernetes-validate, strict and
offline), and the gateway a hardened, probed sidecar in Redmine's pod behind its Service."""

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from yarl import URL

from gateway import __version__
from gateway.cli import build_parser
from gateway.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = REPO_ROOT / "deploy" / "kubernetes"
KUSTOMIZATION = MANIFESTS / "kustomization.yaml"
# The oldest release still patched upstream when this was written; the schema set
# kubernetes-validate ships for it, used offline.
KUBERNETES_VERSION = "1.31.0"
GATEWAY_IMAGE = f"timer-gateway:{__version__}"

Resource = dict[str, Any]


def manifest_files() -> list[Path]:
    return sorted(path for path in MANIFESTS.glob("*.yaml") if path != KUSTOMIZATION)


def resources() -> list[Resource]:
    found: list[Resource] = []
    for path in manifest_files():
        found.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return found


def one(kind: str, name: str) -> Resource:
    [resource] = [r for r in resources() if r["kind"] == kind and r["metadata"]["name"] == name]
    return resource


def pod_spec() -> Resource:
    spec = one("Deployment", "redmine")["spec"]["template"]["spec"]
    assert isinstance(spec, dict)
    return spec


def container(name: str, *, init: bool = False) -> Resource:
    [found] = [
        c for c in pod_spec()["initContainers" if init else "containers"] if c["name"] == name
    ]
    assert isinstance(found, dict)
    return found


def gateway_containers() -> Iterator[Resource]:
    yield container("gateway-check", init=True)
    yield container("gateway")


def gateway_config() -> dict[str, str]:
    data = one("ConfigMap", "timer-gateway")["data"]
    assert isinstance(data, dict)
    return data


def port_number(owner: Resource, port: int | str) -> int:
    """A container port given by number or by name, as a probe or a Service names it."""
    if isinstance(port, int):
        return port
    [number] = [p["containerPort"] for p in owner.get("ports", []) if p["name"] == port]
    assert isinstance(number, int)
    return number


@pytest.mark.parametrize(
    "resource",
    resources(),
    ids=lambda r: f"{r['kind']}/{r['metadata']['name']}",
)
def test_each_resource_is_valid_for_kubernetes(resource: Resource) -> None:
    # strict: a field the API does not have fails too. A kind without a schema raises.
    assert kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True) == "1.31"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["spec", "replica"], 2),
        (["spec", "template", "spec", "containers", 0, "resources", "limits", "memory"], []),
        (["spec", "template", "spec", "containers", 1, "readinessProbe", "httpGet", "pth"], "/"),
    ],
)
def test_the_validator_refuses_what_the_api_server_would(path: list[str | int], value: Any) -> None:
    # The control: a misspelt field, a wrong type, a misspelt nested field.
    deployment = copy.deepcopy(one("Deployment", "redmine"))
    target: Any = deployment
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_the_kustomization_applies_every_manifest() -> None:
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text())
    assert kustomization["kind"] == "Kustomization"
    assert sorted(kustomization["resources"]) == [path.name for path in manifest_files()]


def test_the_gateway_is_a_sidecar_in_redmines_pod() -> None:
    assert container("redmine")["image"] == "redmine:5.0"
    for gateway in gateway_containers():
        assert gateway["image"] == GATEWAY_IMAGE
    assert container("gateway")["args"] == ["serve"]
    # Over the pod's loopback, to the Redmine container's port.
    redmine_url = URL(gateway_config()["GATEWAY_REDMINE_URL"])
    assert redmine_url.host == "127.0.0.1"
    assert redmine_url.port == port_number(container("redmine"), "redmine")


def test_the_service_sends_clients_to_the_gateways_port() -> None:
    service = one("Service", "redmine")
    pod_labels = one("Deployment", "redmine")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    [port] = service["spec"]["ports"]
    target = port_number(container("gateway"), port["targetPort"])
    assert target == int(gateway_config()["GATEWAY_PORT"])
    assert target != port_number(container("redmine"), "redmine")


def test_probes_ask_the_gateways_health_and_readiness_where_they_are_served() -> None:
    gateway = container("gateway")
    readiness = gateway["readinessProbe"]["httpGet"]
    liveness = gateway["livenessProbe"]["httpGet"]
    assert readiness["path"] == "/-/readyz"
    assert liveness["path"] == "/-/healthz"
    # With GATEWAY_ADMIN_PORT, /-/ answers only there (404 on the public port).
    ops_port = int(gateway_config().get("GATEWAY_ADMIN_PORT") or gateway_config()["GATEWAY_PORT"])
    assert port_number(gateway, readiness["port"]) == ops_port
    assert port_number(gateway, liveness["port"]) == ops_port


def test_every_container_has_requests_and_limits() -> None:
    spec = pod_spec()
    redis = one("StatefulSet", "redis")["spec"]["template"]["spec"]
    for each in [*spec["initContainers"], *spec["containers"], *redis["containers"]]:
        assert {"cpu", "memory"} <= each["resources"]["requests"].keys(), each["name"]
        assert "memory" in each["resources"]["limits"], each["name"]


def test_the_gateway_runs_non_root_on_a_read_only_root_with_a_writable_tmp() -> None:
    assert pod_spec()["securityContext"]["runAsNonRoot"] is True
    volumes = {volume["name"]: volume for volume in pod_spec()["volumes"]}
    for gateway in gateway_containers():
        context = gateway["securityContext"]
        assert context["runAsNonRoot"] is True
        assert context["runAsUser"] != 0
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
    [tmp] = [m for m in container("gateway")["volumeMounts"] if m["mountPath"] == "/tmp"]
    assert "emptyDir" in volumes[tmp["name"]]


def test_the_secret_key_comes_from_a_secret() -> None:
    assert "GATEWAY_SECRET_KEY" not in gateway_config()
    for gateway in gateway_containers():
        [secret] = [e for e in gateway["env"] if e["name"] == "GATEWAY_SECRET_KEY"]
        reference = secret["valueFrom"]["secretKeyRef"]
        assert reference == {"name": "timer-gateway", "key": "secret-key"}
        assert gateway["envFrom"] == [{"configMapRef": {"name": "timer-gateway"}}]


def test_the_init_container_checks_all_but_the_redmine_it_precedes() -> None:
    args = build_parser().parse_args(container("gateway-check", init=True)["args"])
    assert args.command == "check"
    assert args.skip == ["redmine"]


def test_the_settings_are_valid_settings() -> None:
    fields: dict[str, Any] = {
        name.removeprefix("GATEWAY_").lower(): value for name, value in gateway_config().items()
    }
    settings = Settings.model_validate({**fields, "secret_key": "s" * 32})
    assert settings.admin_port is not None and settings.admin_port != settings.port
    assert settings.host == "0.0.0.0"


def test_a_disruption_budget_keeps_a_pod_serving() -> None:
    deployment = one("Deployment", "redmine")
    budget = one("PodDisruptionBudget", "redmine")
    assert budget["spec"]["selector"] == deployment["spec"]["selector"]
    assert 1 <= budget["spec"]["minAvailable"] < deployment["spec"]["replicas"]


def test_the_gateways_redis_is_the_redis_service_with_an_append_only_file() -> None:
    redis_url = URL(gateway_config()["GATEWAY_REDIS_URL"])
    service = one("Service", redis_url.host or "")
    statefulset = one("StatefulSet", redis_url.host or "")
    [port] = service["spec"]["ports"]
    assert port["port"] == (redis_url.port or 6379)
    template = statefulset["spec"]["template"]
    assert service["spec"]["selector"].items() <= template["metadata"]["labels"].items()
    [redis] = template["spec"]["containers"]
    assert port_number(redis, port["targetPort"]) == 6379
    args = redis["args"]
    assert args[args.index("--appendonly") + 1] == "yes"
    [data] = statefulset["spec"]["volumeClaimTemplates"]
    assert {"name": data["metadata"]["name"], "mountPath": "/data"} in redis["volumeMounts"]
