"""The fault tests' PostgreSQL cluster and template database, built once per module
(``tests/integration/stack.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.stack import Cluster, fault_cluster, template_database


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with fault_cluster() as made:
        yield made


@pytest.fixture(scope="module")
def template(cluster: Cluster) -> Iterator[str]:
    with template_database(cluster) as name:
        yield name
