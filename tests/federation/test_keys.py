"""Local actors' key pairs: made once, on first need, and usable for signatures."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from chaupal.federation.keys import ensure_keypair, key_id
from chaupal.models import Account


async def test_ensure_keypair__first_call_makes_a_working_pair_second_keeps_it(session, settings):
    account = Account(username="finmin", username_lower="finmin")
    session.add(account)
    await session.flush()

    await ensure_keypair(session, account)
    private_pem, public_pem = account.private_key, account.public_key
    await ensure_keypair(session, account)

    assert (account.private_key, account.public_key) == (private_pem, public_pem)
    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    public = serialization.load_pem_public_key(public_pem.encode())
    signature = private.sign(b"hello", padding.PKCS1v15(), hashes.SHA256())
    public.verify(signature, b"hello", padding.PKCS1v15(), hashes.SHA256())
    assert key_id(settings, account) == f"{settings.base_url}/users/finmin#main-key"
