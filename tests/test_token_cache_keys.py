"""The offline path mirrors four tiny pieces of botocore (importing the modules that hold them costs
~0.1 s per run): each must equal botocore's own, on generated input too."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sso_doctor import aws_values
from sso_doctor.loaders import token_cache

names = st.text(min_size=0, max_size=60)
urls = st.builds(lambda host, tail: f"https://{host}.awsapps.com/start{tail}",
                 st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True), st.sampled_from(["", "/", "#", "/#/", "#/x"]))


@settings(max_examples=300, deadline=None)
@given(url=urls | names, session=st.none() | names)
def test_token_cache_key_is_botocores(url, session):
    from botocore.utils import SSOTokenLoader

    assert token_cache.token_cache_key(url, session) == SSOTokenLoader(cache={})._generate_cache_key(url, session)


@settings(max_examples=300, deadline=None)
@given(url=urls, session=st.none() | names, account=st.from_regex(r"\d{12}", fullmatch=True), role=names)
def test_role_credentials_key_is_botocores(url, session, account, role):
    from botocore.credentials import SSOCredentialFetcher

    fetcher = SSOCredentialFetcher(url, None, role, account, client_creator=None, sso_session_name=session)
    assert token_cache.role_credentials_key(url, session, account, role) == fetcher._create_cache_key()


def test_windows_are_botocores():
    from botocore.credentials import CachedCredentialFetcher
    from botocore.tokens import SSOTokenProvider

    assert token_cache.refresh_window_seconds() == SSOTokenProvider._REFRESH_WINDOW
    assert token_cache.role_credentials_window_seconds() == CachedCredentialFetcher.DEFAULT_EXPIRY_WINDOW_SECONDS


def test_partition_data_is_what_botocores_loader_reads():
    from botocore.loaders import Loader

    assert aws_values._partition_data() == Loader().load_data("partitions")
