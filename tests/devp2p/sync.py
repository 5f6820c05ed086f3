"""Helpers of tests/devp2p/sync.sh that bash has no tool for.

  sync.py head CHAIN_RLP   the Engine API calls naming the last block of CHAIN_RLP (concatenated
                           RLP blocks of a post-Prague chain without blob transactions or
                           execution requests): two lines, engine_newPayloadV4 of the block and
                           engine_forkchoiceUpdatedV3 with it as head, safe and finalized.

The block hash is keccak256 of the header as found in the file (eth_utils, installed by
peers.sh/sync.sh into target/tools/py); the header's requests hash must be the one of no
requests, since the payload carries none.
"""

import hashlib
import json
import sys


def item(buf: bytes, pos: int):
    """The RLP item at pos: (is_list, payload_start, end)."""
    b = buf[pos]
    if b < 0x80:
        return False, pos, pos + 1
    if b < 0xB8:
        return False, pos + 1, pos + 1 + b - 0x80
    if b < 0xC0:
        n = b - 0xB7
        length = int.from_bytes(buf[pos + 1 : pos + 1 + n], "big")
        return False, pos + 1 + n, pos + 1 + n + length
    if b < 0xF8:
        return True, pos + 1, pos + 1 + b - 0xC0
    n = b - 0xF7
    length = int.from_bytes(buf[pos + 1 : pos + 1 + n], "big")
    return True, pos + 1 + n, pos + 1 + n + length


def children(buf: bytes, start: int, end: int):
    """The items of the list payload buf[start:end]: (is_list, start, payload_start, end)."""
    out = []
    pos = start
    while pos < end:
        is_list, payload, item_end = item(buf, pos)
        out.append((is_list, pos, payload, item_end))
        pos = item_end
    return out


def quantity(raw: bytes) -> str:
    return hex(int.from_bytes(raw, "big"))


def data(raw: bytes) -> str:
    return "0x" + raw.hex()


def head(chain_rlp: str):
    from eth_utils import keccak

    buf = open(chain_rlp, "rb").read()
    pos = 0
    last = None
    while pos < len(buf):
        _, payload, end = item(buf, pos)
        last = (payload, end)
        pos = end
    payload, end = last
    header, txs, _ommers, withdrawals = children(buf, payload, end)[:4]
    fields = [buf[p:e] for _, _, p, e in children(buf, header[2], header[3])]
    if len(fields) < 21:
        sys.exit(f"the last block's header has {len(fields)} fields, not a Prague one's 21")
    if fields[20] != hashlib.sha256(b"").digest():
        sys.exit("the last block has execution requests; this helper sends none")
    block_hash = data(keccak(buf[header[1] : header[3]]))
    transactions = []
    for is_list, start, p, e in children(buf, txs[2], txs[3]):
        # A legacy transaction is an RLP list; a typed one an RLP string of type || payload.
        transactions.append(data(buf[start:e] if is_list else buf[p:e]))
        if not is_list and buf[p] == 3:
            sys.exit("the last block has a blob transaction; this helper sends no blob hashes")
    withdrawal_list = []
    for _, _, p, e in children(buf, withdrawals[2], withdrawals[3]):
        index, validator, address, amount = [buf[a:b] for _, _, a, b in children(buf, p, e)]
        withdrawal_list.append(
            {
                "index": quantity(index),
                "validatorIndex": quantity(validator),
                "address": data(address),
                "amount": quantity(amount),
            }
        )
    execution_payload = {
        "parentHash": data(fields[0]),
        "feeRecipient": data(fields[2]),
        "stateRoot": data(fields[3]),
        "receiptsRoot": data(fields[5]),
        "logsBloom": data(fields[6]),
        "prevRandao": data(fields[13]),
        "blockNumber": quantity(fields[8]),
        "gasLimit": quantity(fields[9]),
        "gasUsed": quantity(fields[10]),
        "timestamp": quantity(fields[11]),
        "extraData": data(fields[12]),
        "baseFeePerGas": quantity(fields[15]),
        "blockHash": block_hash,
        "transactions": transactions,
        "withdrawals": withdrawal_list,
        "blobGasUsed": quantity(fields[17]),
        "excessBlobGas": quantity(fields[18]),
    }
    new_payload = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "engine_newPayloadV4",
        "params": [execution_payload, [], data(fields[19]), []],
    }
    fcu = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "engine_forkchoiceUpdatedV3",
        "params": [
            {
                "headBlockHash": block_hash,
                "safeBlockHash": block_hash,
                "finalizedBlockHash": block_hash,
            },
            None,
        ],
    }
    print(json.dumps(new_payload))
    print(json.dumps(fcu))


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "head":
        head(*args)
    else:
        sys.exit(f"unknown command {command}")
