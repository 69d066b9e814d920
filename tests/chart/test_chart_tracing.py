"""tracing.* values: the standard OTEL_* variables on the server (which turn tracing on in the
service itself), and egress to the collector's port."""

from __future__ import annotations

from service.observability.tracing import tracing_enabled
from tests.chart.helm import FULLNAME, Render, find
from tests.chart.test_chart_render import server


def test_tracing_is_off_by_default(render: Render) -> None:
    env = {item["name"] for item in server(render()).get("env", [])}
    assert not {name for name in env if name.startswith("OTEL_")}


def test_an_endpoint_turns_tracing_on_with_the_sampling_ratio(render: Render) -> None:
    objects = render(
        settings={
            "tracing.otlpEndpoint": "http://otel-collector.observability:4318",
            "tracing.sampleRatio": 0.25,
        }
    )
    env = {item["name"]: item.get("value") for item in server(objects)["env"]}
    otel = {name: value for name, value in env.items() if name.startswith("OTEL_")}
    assert otel["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector.observability:4318"
    assert otel["OTEL_TRACES_SAMPLER"] == "parentbased_traceidratio"
    assert otel["OTEL_TRACES_SAMPLER_ARG"] == "0.25"
    assert otel["OTEL_SERVICE_NAME"]
    assert tracing_enabled(otel)  # the service's own reading of what the chart sets
    egress = find(objects, "NetworkPolicy", FULLNAME)["spec"]["egress"]
    assert {"port": 4318, "protocol": "TCP"} in [port for rule in egress for port in rule["ports"]]


def test_an_https_collector_without_a_port_gets_443(render: Render) -> None:
    objects = render(
        settings={
            "tracing.otlpEndpoint": "https://otlp.example.com",
            "networkPolicy.egressHttps": False,
        }
    )
    egress = find(objects, "NetworkPolicy", FULLNAME)["spec"]["egress"]
    assert {"port": 443, "protocol": "TCP"} in [port for rule in egress for port in rule["ports"]]
