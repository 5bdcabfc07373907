from tests.hardening.cases import customer, world  # noqa: F401  (fixtures)
