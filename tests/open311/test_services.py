"""Discovery, GET Service List and GET Service Definition, in both formats."""

from __future__ import annotations

import pytest
from django.test import Client

from routing.models import Category
from tests.helpers import in_indonesian
from tests.open311.support import BASE, errors_of, json_of, xml_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories")]


class TestDiscoveryApi:
    def test_json(self, client: Client) -> None:
        body = json_of(client.get(f"{BASE}/discovery.json"))
        assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
        (endpoint,) = body["endpoints"]
        assert endpoint == {
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": "http://testserver/open311/v2",
            "changeset": body["changeset"],
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }

    def test_xml_url_from_the_request(self, client: Client, settings: object) -> None:
        settings.ALLOWED_HOSTS = ["lapor.example.go.id"]  # type: ignore[attr-defined]  # pytest-django's settings fixture
        root = xml_of(client.get(f"{BASE}/discovery.xml", HTTP_HOST="lapor.example.go.id"))
        assert root.tag == "discovery"
        endpoint = root.find("endpoints/endpoint")
        assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint.findtext("url") == "http://lapor.example.go.id/open311/v2"
        assert endpoint.findtext("type") == "production"
        assert [f.text for f in endpoint.findall("formats/format")] == [
            "text/xml",
            "application/json",
        ]
        assert root.findtext("changeset") == endpoint.findtext("changeset")


class TestServiceListApi:
    def test_one_service_per_active_category(self, client: Client) -> None:
        Category.objects.filter(code="lainnya").update(is_active=False)
        body = json_of(client.get(f"{BASE}/services.json"))
        codes = [s["service_code"] for s in body]
        assert "kesehatan" in codes and "lainnya" not in codes
        assert len(codes) == Category.objects.filter(is_active=True).count()
        health = next(s for s in body if s["service_code"] == "kesehatan")
        assert health["service_name"] == "Kesehatan"
        assert health["metadata"] is True and health["type"] == "realtime"
        assert set(health) == {
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        }

    def test_xml(self, client: Client) -> None:
        root = xml_of(client.get(f"{BASE}/services.xml"))
        assert root.tag == "services"
        health = next(
            s for s in root.findall("service") if s.findtext("service_code") == "kesehatan"
        )
        assert health.findtext("metadata") == "true"
        assert health.findtext("type") == "realtime"
        assert health.findtext("service_name") == "Kesehatan"

    def test_english_names_with_the_language_cookie(self, client: Client) -> None:
        client.cookies["django_language"] = "en"
        body = json_of(client.get(f"{BASE}/services.json"))
        assert {s["service_code"]: s["service_name"] for s in body}["kesehatan"] == "Health"


class TestServiceDefinitionApi:
    def test_json(self, client: Client) -> None:
        body = json_of(client.get(f"{BASE}/services/kesehatan.json"))
        assert body["service_code"] == "kesehatan"
        attributes = {a["code"]: a for a in body["attributes"]}
        assert list(attributes) == [
            "kind",
            "title",
            "region",
            "incident_date",
            "anonymous",
            "confidential",
        ]
        for order, attribute in enumerate(body["attributes"], start=1):
            assert set(attribute) == {
                "variable",
                "code",
                "datatype",
                "required",
                "datatype_description",
                "order",
                "description",
                "values",
            }
            assert attribute["order"] == order and attribute["variable"] is True
        assert attributes["kind"]["datatype"] == "singlevaluelist"
        assert attributes["kind"]["required"] is True
        assert [v["key"] for v in attributes["kind"]["values"]] == [
            "COMPLAINT",
            "ASPIRATION",
            "INFORMATION_REQUEST",
        ]
        assert attributes["region"]["datatype"] == "string"
        assert attributes["region"]["required"] is True
        for code in ("anonymous", "confidential"):
            assert attributes[code]["required"] is False
            assert [v["key"] for v in attributes[code]["values"]] == ["true", "false"]

    def test_xml(self, client: Client) -> None:
        root = xml_of(client.get(f"{BASE}/services/kesehatan.xml"))
        assert root.tag == "service_definition"
        assert root.findtext("service_code") == "kesehatan"
        kind = root.find("attributes/attribute")
        assert kind.findtext("code") == "kind"
        assert kind.findtext("required") == "true"
        assert kind.findtext("variable") == "true"
        assert kind.findtext("order") == "1"
        assert [v.findtext("key") for v in kind.findall("values/value")] == [
            "COMPLAINT",
            "ASPIRATION",
            "INFORMATION_REQUEST",
        ]
        assert all(v.findtext("name") for v in kind.findall("values/value"))

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_unknown_or_retired_service_is_404(self, client: Client, fmt: str) -> None:
        Category.objects.filter(code="lainnya").update(is_active=False)
        for code in ("tidak-ada", "lainnya"):
            response = client.get(f"{BASE}/services/{code}.{fmt}")
            assert response.status_code == 404
            ((status, description),) = errors_of(response, fmt)
            assert status == "404" and code in description


class TestErrorsEverywhere:
    @pytest.mark.parametrize(
        "path", ["services.csv", "services.html", "nothing.json", "services/kesehatan.yaml", ""]
    )
    def test_unknown_endpoint_or_format_is_a_json_404_list(self, client: Client, path: str) -> None:
        response = client.get(f"{BASE}/{path}")
        assert response.status_code == 404
        assert errors_of(response, "json")[0][0] == "404"

    def test_unknown_xml_endpoint_answers_in_xml(self, client: Client) -> None:
        response = client.get(f"{BASE}/nothing.xml")
        assert response.status_code == 404
        assert errors_of(response, "xml")[0][0] == "404"

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_other_jurisdiction_is_404(self, client: Client, fmt: str) -> None:
        assert client.get(f"{BASE}/services.{fmt}?jurisdiction_id=lapor").status_code == 200
        response = client.get(f"{BASE}/services.{fmt}?jurisdiction_id=kota-lain")
        assert response.status_code == 404
        ((status, description),) = errors_of(response, fmt)
        assert status == "404" and "jurisdiction_id" in description

    def test_jurisdiction_from_the_setting(self, client: Client, settings: object) -> None:
        settings.LAPOR_OPEN311_JURISDICTION = "kaltim"  # type: ignore[attr-defined]  # pytest-django's settings fixture
        assert client.get(f"{BASE}/services.json?jurisdiction_id=kaltim").status_code == 200
        assert client.get(f"{BASE}/services.json?jurisdiction_id=lapor").status_code == 404

    def test_method_not_taken_is_405_with_the_list(self, client: Client) -> None:
        response = client.post(f"{BASE}/services.json")
        assert response.status_code == 405
        assert response["Allow"] == "GET, HEAD, OPTIONS"
        assert errors_of(response, "json")[0][0] == "405"

    def test_messages_are_indonesian_by_default(self, client: Client) -> None:
        message = "service_code: there is no service “%(code)s”; see services.json."
        indonesian = in_indonesian(message, code="tidak-ada")
        assert indonesian != message % {"code": "tidak-ada"}  # it is translated
        response = client.get(f"{BASE}/services/tidak-ada.json")
        assert errors_of(response, "json")[0][1] == indonesian
        client.cookies["django_language"] = "en"
        response = client.get(f"{BASE}/services/tidak-ada.json")
        assert errors_of(response, "json")[0][1] == message % {"code": "tidak-ada"}

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_a_body_too_large_is_413_with_the_list(
        self, client: Client, fmt: str, settings: object
    ) -> None:
        settings.LAPOR_MAX_REQUEST_BYTES = 1000  # type: ignore[attr-defined]  # pytest-django's settings fixture
        response = client.post(f"{BASE}/requests.{fmt}", {"description": "x" * 2000})
        assert response.status_code == 413
        ((status, description),) = errors_of(response, fmt)
        assert status == "413" and description

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_a_crash_is_500_with_the_list_not_a_page(self, rf: object, fmt: str) -> None:
        from lapor.errors import server_error

        response = server_error(rf.get(f"{BASE}/requests.{fmt}"))  # type: ignore[attr-defined]  # pytest-django's rf fixture
        assert response.status_code == 500
        ((status, description),) = errors_of(response, fmt)
        assert status == "500" and description

    def test_accept_language_is_honoured_as_in_the_api(self, client: Client) -> None:
        indonesian = errors_of(client.get(f"{BASE}/services/tidak-ada.json"), "json")[0][1]
        response = client.get(f"{BASE}/services/tidak-ada.json", HTTP_ACCEPT_LANGUAGE="en")
        assert errors_of(response, "json")[0][1] not in ("", indonesian)
