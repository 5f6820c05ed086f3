"""web3.py against `ethrex --dev`: sign an EIP-1559 transfer from a dev key, send it raw, wait
for the receipt, check the balances moved."""

import sys

from eth_account import Account
from web3 import Web3

url, key, to = sys.argv[1], sys.argv[2], sys.argv[3]
w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
assert w3.is_connected(), "not connected"
sender = Account.from_key(key)
chain_id = w3.eth.chain_id
before = w3.eth.get_balance(to)
base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
tx = {
    "type": 2,
    "chainId": chain_id,
    "nonce": w3.eth.get_transaction_count(sender.address),
    "to": Web3.to_checksum_address(to),
    "value": 12345,
    "gas": 21000,
    "maxFeePerGas": base_fee * 2 + 10**9,
    "maxPriorityFeePerGas": 10**9,
}
signed = sender.sign_transaction(tx)
tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
assert receipt["status"] == 1, receipt
assert receipt["type"] == 2, receipt
assert w3.eth.get_balance(to) == before + 12345, "balance did not move"
print(f"web3: EIP-1559 transfer {tx_hash.hex()} in block {receipt['blockNumber']}")
