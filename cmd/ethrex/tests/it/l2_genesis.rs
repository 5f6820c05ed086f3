//! The L2 genesis `fixtures/genesis/l2.json` runs: a node starts on it (chain 65536999, the
//! state root `compute-state-root` prints), its rich accounts hold 1,000,000 ETH, and the L2
//! system contracts work from genesis without a constructor: `Messenger.lastMessageId()` is 0, a
//! `withdraw` through `CommonBridgeL2` reaches the Messenger (simulated), and `mintETH` is
//! refused to anyone but the bridge itself.

use alloy_primitives::{Address, Bytes, U256, address};
use alloy_sol_types::{SolCall, SolValue, sol};
use ethrex_test_utils::{dev_address, node::stdout};
use serde_json::{Value, json};

use crate::{ETHREX, ethrex};

sol! {
    function lastMessageId() external view returns (uint256);
    function L1_MESSENGER() external view returns (address);
    function withdraw(address _receiverOnL1) external payable;
    function mintETH(address to) external payable;
}

const L2_BRIDGE: Address = address!("0x000000000000000000000000000000000000ffff");
const MESSENGER: Address = address!("0x000000000000000000000000000000000000fffe");

fn genesis_path() -> String {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/genesis/l2.json"
    )
    .to_string()
}

#[test]
fn a_node_runs_the_l2_genesis_and_its_system_contracts_work_without_a_constructor() {
    let path = genesis_path();
    let node = ETHREX.start(&["--network", &path, "--datadir", "memory"]);
    assert_eq!(node.result("eth_chainId", json!([])), "0x3e803e7");
    let printed = stdout(&ethrex(&["compute-state-root", "--network", &path]));
    let block = node.result("eth_getBlockByNumber", json!(["0x0", false]));
    assert_eq!(block["stateRoot"], printed.trim());
    let rich = dev_address(0);
    let balance = node.result("eth_getBalance", json!([rich, "latest"]));
    assert_eq!(balance, "0xd3c21bcecceda1000000", "10^24 wei");

    let call = |from: Address, to: Address, value: U256, data: Vec<u8>| -> Value {
        node.call(
            "eth_call",
            json!([{"from": from, "to": to, "value": value, "input": Bytes::from(data)}, "latest"]),
        )
    };
    let answer = call(
        rich,
        MESSENGER,
        U256::ZERO,
        lastMessageIdCall {}.abi_encode(),
    );
    let id: Bytes = answer["result"].as_str().unwrap().parse().unwrap();
    assert_eq!(U256::abi_decode(&id).unwrap(), U256::ZERO);
    let answer = call(
        rich,
        L2_BRIDGE,
        U256::ZERO,
        L1_MESSENGERCall {}.abi_encode(),
    );
    let messenger: Bytes = answer["result"].as_str().unwrap().parse().unwrap();
    assert_eq!(Address::abi_decode(&messenger).unwrap(), MESSENGER);

    // withdraw burns the value and calls the Messenger, which only the bridge may call: success
    // means the bridge reached it as itself.
    let withdraw = withdrawCall {
        _receiverOnL1: rich,
    }
    .abi_encode();
    let answer = call(rich, L2_BRIDGE, U256::from(1_000u64), withdraw);
    assert!(answer["error"].is_null(), "{answer}");
    let mint = mintETHCall { to: rich }.abi_encode();
    let answer = call(rich, L2_BRIDGE, U256::from(1_000u64), mint);
    let data: Bytes = answer["error"]["data"]
        .as_str()
        .unwrap_or_else(|| panic!("a revert with data: {answer}"))
        .parse()
        .unwrap();
    let reason = ethrex_l2_sdk::calls::revert_reason(&data);
    assert_eq!(
        reason.as_deref(),
        Some("CommonBridgeL2: caller is not the bridge")
    );
}
