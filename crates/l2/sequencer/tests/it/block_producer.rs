//! The block producer keeps every block within one batch blob: a mempool holding more bytes of
//! transactions than a blob carries is spread over several blocks, each of which fits.

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, U256};
use ethrex_blockchain::{Blockchain, mempool::Mempool};
use ethrex_l2_common::blob::{BatchSizer, MAX_PAYLOAD_BYTES};
use ethrex_l2_sequencer::{block_producer::BlockProducer, state::RollupState};
use ethrex_storage::Store;

use crate::l2_chain::{L1_BLOB_BASE_FEE, eip1559, fees, l2_genesis, producer_config};

#[test]
fn blocks_never_outgrow_one_blob() {
    let store = Store::in_memory();
    store.init_genesis(&l2_genesis()).unwrap();
    let chain = Arc::new(Blockchain::new_rollup(store.clone()).unwrap());
    let mempool = Arc::new(Mempool::new(1_000));
    let shared = ethrex_l2_sequencer::Shared::new();
    shared.set_l1_blob_base_fee(L1_BLOB_BASE_FEE);
    let producer = BlockProducer::new(
        Arc::clone(&chain),
        Arc::clone(&mempool),
        RollupState::new(store),
        producer_config(),
    );
    // 150 transactions of ~1.1 kB (1,000 zero bytes of calldata, ~31,000 gas each): 165 kB,
    // more than one blob's 126,976 bytes, but only ~4.7 Mgas, far below the gas limit.
    let mut bytes = 0;
    for from in 0..15 {
        for nonce in 0..10 {
            let data = Bytes::from(vec![0u8; 1_000]);
            let tx = eip1559(
                from,
                nonce,
                Address::repeat_byte(0x77),
                U256::ZERO,
                data,
                100_000,
            );
            bytes += tx.encode_2718().len();
            mempool.add_transaction(&chain, tx).unwrap();
        }
    }
    assert!(bytes > MAX_PAYLOAD_BYTES, "{bytes} bytes");
    let mut included = 0;
    let mut blocks = 0;
    while included < 150 {
        let produced = producer.produce(&shared, 0).unwrap();
        let block = chain
            .store()
            .block_by_number(produced.number)
            .unwrap()
            .unwrap();
        assert!(
            BatchSizer::new().fits(&block, &fees()),
            "block #{} with {} transactions does not fit a blob",
            produced.number,
            produced.transactions
        );
        assert!(
            produced.transactions > 0,
            "block #{} is empty",
            produced.number
        );
        included += produced.transactions;
        blocks += 1;
        assert!(blocks <= 3, "{included} of 150 after {blocks} blocks");
    }
    assert_eq!(included, 150);
    assert!(blocks >= 2, "150 such transactions cannot fit one blob");
}
