//! `0x`-hex families: Sui and Aptos account addresses, Starknet felts and Flow's 8-byte
//! linear-code addresses. The generic pattern's 18-character minimum makes `0x` + 16 hex
//! digits the shortest form that can arrive here.

/// `0x` + 16 to `max` hex digits (either case); returns the digits lower-cased.
fn hex_digits(s: &str, max: usize) -> Result<String, String> {
    let digits = s.strip_prefix("0x").ok_or("must start with 0x")?;
    if digits.len() < 16 || digits.len() > max || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("must be 0x followed by 16 to {max} hex digits"));
    }
    Ok(digits.to_ascii_lowercase())
}

/// SUI, APTOS: `0x` + 16–64 hex digits, a 32-byte account address; canonical form is the long
/// form, left-padded to 64 digits (Sui's `normalizeSuiAddress`, Aptos AIP-40).
pub(super) fn parse_padded(s: &str) -> Result<String, String> {
    let digits = hex_digits(s, 64)?;
    Ok(format!("0x{digits:0>64}"))
}

/// STARK: `0x` + 16–64 hex digits whose value is below 2^251 − 256, Starknet's address bound
/// (starknet.js `ADDR_BOUND`); canonical form padded to 64 digits.
pub(super) fn parse_stark(s: &str) -> Result<String, String> {
    let padded = format!("{:0>64}", hex_digits(s, 64)?);
    // 2^251 − 256 = 0x07ff…ff00: compare the 64-digit strings, which order like the numbers.
    const BOUND: &str = "07ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff00";
    if padded.as_str() >= BOUND {
        return Err("is not below 2^251 - 256, the Starknet address bound".to_owned());
    }
    Ok(format!("0x{padded}"))
}

/// The codewords XORed into Flow addresses per network (flow-go-sdk `address.go`): mainnet,
/// testnet, emulator.
const FLOW_NETWORK_CODEWORDS: [u64; 3] = [0, 0x6834_ba37_b398_0209, 0x1cb1_5985_7af0_2018];

/// Columns of the parity-check matrix H of Flow's [64,45,7] address code (flow-go-sdk
/// `address.go`, `parityCheckMatrixColumns`).
const FLOW_PARITY_CHECK_COLUMNS: [u32; 64] = [
    0x00001, 0x00002, 0x00004, 0x00008, 0x00010, 0x00020, 0x00040, 0x00080, 0x00100, 0x00200,
    0x00400, 0x00800, 0x01000, 0x02000, 0x04000, 0x08000, 0x10000, 0x20000, 0x40000, 0x7328d,
    0x6689a, 0x6112f, 0x6084b, 0x433fd, 0x42aab, 0x41951, 0x233ce, 0x22a81, 0x21948, 0x1ef60,
    0x1deca, 0x1c639, 0x1bdd8, 0x1a535, 0x194ac, 0x18c46, 0x1632b, 0x1529b, 0x14a43, 0x13184,
    0x12942, 0x118c1, 0x0f812, 0x0e027, 0x0d00e, 0x0c83c, 0x0b01d, 0x0a831, 0x0982b, 0x07034,
    0x0682a, 0x05819, 0x03807, 0x007d2, 0x00727, 0x0068e, 0x0067c, 0x0059d, 0x004eb, 0x003b4,
    0x0036a, 0x002d9, 0x001c7, 0x0003f,
];

/// Whether `address` is a valid account address on the network with `codeword`: the word
/// `address XOR codeword` is non-zero and its syndrome under H is zero.
pub(crate) fn flow_is_valid_on(address: u64, codeword: u64) -> bool {
    let mut word = address ^ codeword;
    if word == 0 {
        return false;
    }
    let mut parity = 0u32;
    for column in FLOW_PARITY_CHECK_COLUMNS {
        if word & 1 == 1 {
            parity ^= column;
        }
        word >>= 1;
    }
    parity == 0
}

/// FLOW: `0x` + exactly 16 hex digits forming a valid address of mainnet, testnet or the
/// emulator.
pub(super) fn parse_flow(s: &str) -> Result<String, String> {
    let digits = hex_digits(s, 16)?;
    let value = u64::from_str_radix(&digits, 16).map_err(|e| e.to_string())?;
    if !FLOW_NETWORK_CODEWORDS
        .iter()
        .any(|&c| flow_is_valid_on(value, c))
    {
        return Err("is not a valid Flow address on mainnet, testnet or the emulator (linear-code check failed)".to_owned());
    }
    Ok(format!("0x{digits}"))
}
