import pytest

@pytest.mark.django_db
def test_a(agencies): pass

@pytest.mark.django_db
def test_b(agencies): pass

@pytest.mark.django_db
def test_c(built): pass

@pytest.mark.django_db
def test_d(built): pass
