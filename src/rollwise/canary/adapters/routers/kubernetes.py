"""Kubernetes through kubectl: backend weights of a Gateway API HTTPRoute, or route weights of an Istio
VirtualService. The router reads the object, patches the weights of the baseline and canary backends with a
JSON patch, and reads the object back to report the canary's share.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rollwise.canary.adapters.routers.base import Router, RouterError, split

#: resource names kubectl knows, and where the weighted backends sit in each kind
KINDS = {
    "httproute": ("httproutes.gateway.networking.k8s.io", "rules", "backendRefs"),
    "virtualservice": ("virtualservices.networking.istio.io", "http", "route"),
}


class KubernetesRouter(Router):
    name = "kubernetes"
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "name", "baseline", "canary"],
        "properties": {
            "type": {"const": "kubernetes"},
            "kind": {"enum": list(KINDS), "description": "httproute (Gateway API, default) or virtualservice (Istio)"},
            "name": {"type": "string", "description": "name of the HTTPRoute or VirtualService"},
            "namespace": {"type": "string"},
            "baseline": {"type": "string", "description": "backend of the baseline: Service name (HTTPRoute) or "
                                                          "destination host or subset (VirtualService)"},
            "canary": {"type": "string", "description": "backend of the canary, as for baseline"},
            "kubectl": {"type": "string", "description": "kubectl executable (default kubectl)"},
            "context": {"type": "string", "description": "kubeconfig context"},
            "timeout": {"type": "number", "exclusiveMinimum": 0},
        },
    }

    def set_weight(self, weight: int) -> int:
        resource, rules_key, backends_key = KINDS[self.options.get("kind", "httproute")]
        current = self._get(resource)
        operations = []
        for rule_index, backend_index, role in self._backends(current, rules_key, backends_key):
            value = split(weight)[0 if role == "baseline" else 1]
            operations.append({"op": "add", "path": f"/spec/{rules_key}/{rule_index}/{backends_key}/{backend_index}/weight",
                               "value": value})
        self.run(self._kubectl("patch", resource, self.options["name"], "--type=json", "-p", json.dumps(operations)),
                 f"patching the weights of {self.describe()}", timeout=self._timeout())
        return self._canary_share(self._get(resource), rules_key, backends_key)

    def describe(self) -> str:
        where = f" in namespace {self.options['namespace']}" if self.options.get("namespace") else ""
        return f"{self.options.get('kind', 'httproute')} {self.options['name']}{where}"

    def _kubectl(self, *args: str) -> list[str]:
        command = [self.options.get("kubectl", "kubectl"), *args]
        if self.options.get("namespace"):
            command += ["--namespace", self.options["namespace"]]
        if self.options.get("context"):
            command += ["--context", self.options["context"]]
        return command

    def _timeout(self) -> float:
        return float(self.options.get("timeout", 60))

    def _get(self, resource: str) -> dict[str, Any]:
        result = self.run(self._kubectl("get", resource, self.options["name"], "-o", "json"),
                          f"reading {self.describe()}", timeout=self._timeout())
        try:
            return json.loads(result.stdout)
        except json.JSONDecodeError as exc:
            raise RouterError(f"kubernetes router: kubectl get returned no JSON ({exc.msg})") from exc

    def _role(self, backend: dict[str, Any]) -> str | None:
        names = {backend.get("name")}
        destination = backend.get("destination") or {}
        names |= {destination.get("host"), destination.get("subset")}
        for role in ("baseline", "canary"):
            if self.options[role] in names:
                return role
        return None

    def _backends(self, obj: dict[str, Any], rules_key: str, backends_key: str) -> list[tuple[int, int, str]]:
        """(rule index, backend index, role) of every baseline or canary backend; every rule used needs both."""
        found = []
        for rule_index, rule in enumerate((obj.get("spec") or {}).get(rules_key) or []):
            roles = [(i, self._role(b)) for i, b in enumerate(rule.get(backends_key) or [])]
            if {role for _, role in roles} >= {"baseline", "canary"}:
                found += [(rule_index, i, role) for i, role in roles if role]
        if not found:
            raise RouterError(f"kubernetes router: no rule of {self.describe()} routes to both "
                              f"{self.options['baseline']!r} and {self.options['canary']!r}; add the canary backend "
                              f"to the route (weight 0) before the rollout")
        return found

    def _canary_share(self, obj: dict[str, Any], rules_key: str, backends_key: str) -> int:
        rule_index = self._backends(obj, rules_key, backends_key)[0][0]
        weights = {"baseline": 0, "canary": 0}
        for backend in obj["spec"][rules_key][rule_index][backends_key]:
            role = self._role(backend)
            if role:
                weights[role] += int(backend.get("weight", 1))
        total = weights["baseline"] + weights["canary"]
        if total == 0:
            raise RouterError(f"kubernetes router: {self.describe()} gives both backends weight 0")
        return round(100 * weights["canary"] / total)
