"""Helpers of tests/devp2p/peers.sh that bash has no tool for.

  peers.py jwt SECRET_FILE            an Engine API token (HS256, iat now) for the hex secret
  peers.py sign KEY TO NONCE CHAIN_ID BASE_FEE
                                      a signed EIP-1559 transfer of 1 wei: "<raw> <hash>"

Signing uses eth-account (installed by peers.sh into target/tools/py).
"""

import base64
import hashlib
import hmac
import json
import sys
import time


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(secret_file: str) -> str:
    secret = bytes.fromhex(open(secret_file).read().strip().removeprefix("0x"))
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64(json.dumps({"iat": int(time.time())}).encode())
    signing_input = f"{header}.{claims}".encode()
    signature = b64(hmac.new(secret, signing_input, hashlib.sha256).digest())
    return f"{header}.{claims}.{signature}"


def sign(key: str, to: str, nonce: str, chain_id: str, base_fee: str) -> str:
    from eth_account import Account
    from eth_utils import to_checksum_address

    tip = 10**9
    tx = {
        "type": 2,
        "chainId": int(chain_id, 0),
        "nonce": int(nonce, 0),
        "to": to_checksum_address(to),
        "value": 1,
        "gas": 21000,
        "maxPriorityFeePerGas": tip,
        "maxFeePerGas": 2 * int(base_fee, 0) + tip,
    }
    signed = Account.sign_transaction(tx, key)
    raw = signed.raw_transaction.hex()
    tx_hash = signed.hash.hex()
    prefix = lambda h: h if h.startswith("0x") else "0x" + h
    return f"{prefix(raw)} {prefix(tx_hash)}"


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "jwt":
        print(jwt(*args))
    elif command == "sign":
        print(sign(*args))
    else:
        sys.exit(f"unknown command {command}")
