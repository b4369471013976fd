//! The unsigned payment a Bitcoin wallet signs (spec §10.1): coins chosen from the payer's
//! confirmed outputs, exactly the amount to the destination, change above the dust limit back
//! to the payer, replace-by-fee signalled, and every input's previous output carried in the
//! PSBT (BIP-174) so that a hardware wallet can check what it signs. Pure: the node reads are
//! in `chain.rs`.

/// One spendable output of the payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coin {
    /// 64 hex digits, as the node writes it.
    pub txid: String,
    pub vout: u32,
    pub value_sat: u64,
    pub script: Vec<u8>,
    /// The whole previous transaction, for a legacy (non-segwit) input; `None` for segwit.
    pub previous_tx: Option<Vec<u8>>,
}

/// What the payment spends and pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub inputs: Vec<Coin>,
    /// (script, satoshis): the destination first, then change if any.
    pub outputs: Vec<(Vec<u8>, u64)>,
    pub fee_sat: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the wallet holds {available} sat, {required} sat needed")]
pub struct Shortfall {
    pub required: u64,
    pub available: u64,
}

/// Below this an output to `script` is dust, which nodes refuse to relay: Bitcoin Core's
/// threshold at its 3 sat/vB dust relay fee, the output's size plus the input that would
/// spend it (546 sat for P2PKH, 540 P2SH, 294 P2WPKH, 330 P2WSH and P2TR). Change below it is
/// left to the fee.
pub fn dust_limit(script: &[u8]) -> u64 {
    let output = 8 + 1 + script.len() as u64;
    let spend = if is_segwit(script) { 67 } else { 148 };
    (output + spend) * 3
}

/// nSequence that signals replace-by-fee (BIP-125) and enables no relative lock time.
const RBF_SEQUENCE: u32 = 0xffff_fffd;

/// Chooses coins, largest first, for `amount` to `destination` at `fee_rate` sat/vB.
pub fn plan(
    mut coins: Vec<Coin>,
    destination: &[u8],
    amount: u64,
    change: &[u8],
    fee_rate: u64,
) -> Result<Plan, Shortfall> {
    coins.sort_by_key(|c| std::cmp::Reverse(c.value_sat));
    let available: u64 = coins.iter().map(|c| c.value_sat).sum();
    let mut inputs = Vec::new();
    let mut total = 0u64;
    for coin in coins {
        total += coin.value_sat;
        inputs.push(coin);
        let with_change = fee(&inputs, &[destination, change], fee_rate);
        if total >= amount + with_change && total - amount - with_change >= dust_limit(change) {
            return Ok(Plan {
                inputs,
                outputs: vec![
                    (destination.to_vec(), amount),
                    (change.to_vec(), total - amount - with_change),
                ],
                fee_sat: with_change,
            });
        }
        if total >= amount + fee(&inputs, &[destination], fee_rate) {
            // What is left is too little for a change output: it goes to the fee.
            return Ok(Plan {
                inputs,
                outputs: vec![(destination.to_vec(), amount)],
                fee_sat: total - amount,
            });
        }
    }
    let required = amount + fee(&inputs, &[destination, change], fee_rate);
    Err(Shortfall {
        required,
        available,
    })
}

/// The fee of a transaction of these inputs and output scripts, from its estimated vsize.
pub fn fee(inputs: &[Coin], outputs: &[&[u8]], fee_rate: u64) -> u64 {
    // Version, locktime, counts and the segwit marker: 10.5 vB, rounded up.
    let mut vbytes = 11;
    for input in inputs {
        vbytes += input_vbytes(&input.script);
    }
    for script in outputs {
        vbytes += 8 + 1 + script.len() as u64;
    }
    vbytes * fee_rate
}

/// A signed input's virtual size by the kind of script it spends.
fn input_vbytes(script: &[u8]) -> u64 {
    match script {
        [0x00, 0x14, ..] => 68,       // P2WPKH
        [0x51, 0x20, ..] => 58,       // P2TR key path
        [0x00, 0x20, ..] => 105,      // P2WSH (a single-key script; more for multisig)
        [0xa9, 0x14, .., 0x87] => 91, // P2SH, taken as P2SH-P2WPKH
        _ => 148,                     // P2PKH and anything else
    }
}

pub fn is_segwit(script: &[u8]) -> bool {
    matches!(script, [0x00 | 0x51..=0x60, len, rest @ ..] if usize::from(*len) == rest.len())
}

/// The BIP-174 serialisation of the unsigned transaction of `plan`.
pub fn psbt(plan: &Plan) -> Vec<u8> {
    let mut out = b"psbt\xff".to_vec();
    let tx = unsigned_transaction(plan);
    key_value(&mut out, &[0x00], &tx);
    out.push(0x00);
    for coin in &plan.inputs {
        match (&coin.previous_tx, is_segwit(&coin.script)) {
            (_, true) => {
                let mut utxo = coin.value_sat.to_le_bytes().to_vec();
                var_bytes(&mut utxo, &coin.script);
                key_value(&mut out, &[0x01], &utxo);
            }
            (Some(previous), false) => key_value(&mut out, &[0x00], previous),
            (None, false) => {} // unreachable in practice: chain.rs fetches it
        }
        out.push(0x00);
    }
    // Each output's map is empty: only its separator.
    out.extend(std::iter::repeat_n(0x00, plan.outputs.len()));
    out
}

fn unsigned_transaction(plan: &Plan) -> Vec<u8> {
    let mut tx = 2u32.to_le_bytes().to_vec();
    var_int(&mut tx, plan.inputs.len() as u64);
    for coin in &plan.inputs {
        let mut txid = data_encoding::HEXLOWER_PERMISSIVE
            .decode(coin.txid.as_bytes())
            .expect("a coin's txid is 64 hex digits (checked where coins are read)");
        txid.reverse(); // txids are shown byte-reversed
        tx.extend_from_slice(&txid);
        tx.extend_from_slice(&coin.vout.to_le_bytes());
        var_int(&mut tx, 0);
        tx.extend_from_slice(&RBF_SEQUENCE.to_le_bytes());
    }
    var_int(&mut tx, plan.outputs.len() as u64);
    for (script, value) in &plan.outputs {
        tx.extend_from_slice(&value.to_le_bytes());
        var_bytes(&mut tx, script);
    }
    tx.extend_from_slice(&0u32.to_le_bytes());
    tx
}

fn key_value(out: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    var_bytes(out, key);
    var_bytes(out, value);
}

fn var_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    var_int(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn var_int(out: &mut Vec<u8>, n: u64) {
    match n {
        0..=0xfc => out.push(n as u8),
        0xfd..=0xffff => {
            out.push(0xfd);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xfe);
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
        _ => {
            out.push(0xff);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coin(value_sat: u64) -> Coin {
        Coin {
            txid: "11".repeat(32),
            vout: 0,
            value_sat,
            script: [&[0x00, 0x14][..], &[7; 20]].concat(),
            previous_tx: None,
        }
    }

    const DEST: [u8; 22] = [
        0x00, 0x14, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ];

    #[test]
    fn exact_amount_change_back_and_fee_from_the_vsize() {
        let change = coin(0).script;
        let plan = plan(
            vec![coin(50_000), coin(200_000)],
            &DEST,
            100_000,
            &change,
            2,
        )
        .unwrap();
        assert_eq!(plan.inputs.len(), 1, "the largest coin suffices");
        assert_eq!(plan.outputs[0], (DEST.to_vec(), 100_000));
        // 11 + 68 + 2 × 31 = 141 vB at 2 sat/vB.
        assert_eq!(plan.fee_sat, 282);
        assert_eq!(plan.outputs[1], (change, 200_000 - 100_000 - 282));
    }

    #[test]
    fn dust_limits_are_bitcoin_cores() {
        let p2pkh = [&[0x76, 0xa9, 0x14][..], &[0; 20], &[0x88, 0xac]].concat();
        let p2sh = [&[0xa9, 0x14][..], &[0; 20], &[0x87]].concat();
        let p2wpkh = [&[0x00, 0x14][..], &[0; 20]].concat();
        let p2wsh = [&[0x00, 0x20][..], &[0; 32]].concat();
        let p2tr = [&[0x51, 0x20][..], &[0; 32]].concat();
        let limits: Vec<u64> = [p2pkh, p2sh, p2wpkh, p2wsh, p2tr]
            .iter()
            .map(|s| super::dust_limit(s))
            .collect();
        assert_eq!(limits, [546, 540, 294, 330, 330]);
    }

    #[test]
    fn dust_change_goes_to_the_fee_and_shortfalls_say_how_much() {
        let change = coin(0).script;
        let plan = plan(vec![coin(100_300)], &DEST, 100_000, &change, 1).unwrap();
        assert_eq!(plan.outputs.len(), 1, "141 sat fee leaves 159 sat: dust");
        assert_eq!(plan.fee_sat, 300);
        let short = super::plan(vec![coin(1_000), coin(2_000)], &DEST, 5_000, &change, 1);
        assert_eq!(
            short,
            Err(Shortfall {
                required: 5_000 + 11 + 2 * 68 + 2 * 31,
                available: 3_000
            })
        );
    }

    #[test]
    fn the_psbt_has_the_magic_the_transaction_and_each_inputs_utxo() {
        let change = coin(0).script;
        let plan = plan(vec![coin(200_000)], &DEST, 100_000, &change, 1).unwrap();
        let bytes = psbt(&plan);
        assert_eq!(&bytes[..5], b"psbt\xff");
        // Key 0x00 (unsigned tx): version 2, one input with RBF sequence.
        assert_eq!(&bytes[5..7], &[0x01, 0x00]);
        let tx_len = usize::from(bytes[7]);
        let tx = &bytes[8..8 + tx_len];
        assert_eq!(&tx[..4], &2u32.to_le_bytes());
        assert_eq!(
            &tx[4 + 1 + 32 + 4 + 1..4 + 1 + 32 + 4 + 1 + 4],
            &RBF_SEQUENCE.to_le_bytes()
        );
        // Then the separator and the input's witness_utxo (key 0x01).
        assert_eq!(&bytes[8 + tx_len..8 + tx_len + 3], &[0x00, 0x01, 0x01]);
    }
}
