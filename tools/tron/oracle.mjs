// TRON's own SDK as the independent oracle of the TRON tests (crates/sluice-*/tests). One
// command per run, its input as JSON in argv[2], one JSON answer on stdout:
//   {"op": "addresses", "mnemonic": "...", "count": N}
//       -> {"addresses": [...]}: m/44'/195'/0'/0/i for i < N, as tronweb.fromMnemonic derives
//          them, and {"xpub": ...}: the account key m/44'/195'/0' (ethers), for Sluice.
//   {"op": "fromHex", "hex": "41…"} -> {"address": "T…"}
//   {"op": "decode", "rawDataHex": "…"} -> the transaction as tronweb's protobuf reads it:
//       {txID, rawDataHex (tronweb's own re-serialisation), contractType, typeUrl, owner,
//        to | contract (base58), amount, data (hex), refBlockBytes, refBlockHash, expiration,
//        timestamp, feeLimit}
//   {"op": "sign", "rawDataHex": "…", "privateKey": "hex"} -> {txID, signature}: signed as a
//       wallet built on tronweb signs it (trx.sign, after its own txCheck of the bytes).
//   {"op": "forge", "rawDataHex": "…", "privateKey": "hex"} -> {txID, signature}: any key's
//       signature over the txID, without tronweb's checks.
// Offline: nothing here talks to a network.
import { HDNodeWallet, Mnemonic } from "ethers";
import { TronWeb, utils } from "tronweb";

const input = JSON.parse(process.argv[2]);
const proto = globalThis.TronWebProto;
const hex = (bytes) => Buffer.from(bytes).toString("hex");
const base58 = (bytes) => TronWeb.address.fromHex(hex(bytes));

function decode(rawDataHex) {
  const raw = proto.Transaction.raw.deserializeBinary(Buffer.from(rawDataHex, "hex"));
  const reserialized = raw.serializeBinary();
  const contract = raw.getContractList()[0];
  const any = contract.getParameter();
  const typeUrl = any.getTypeUrl();
  const out = {
    txID: utils.transaction.txPbToTxID(new proto.Transaction().setRawData(raw)).replace(/^0x/, ""),
    rawDataHex: hex(reserialized),
    contractType: contract.getType(),
    typeUrl,
    refBlockBytes: hex(raw.getRefBlockBytes_asU8()),
    refBlockHash: hex(raw.getRefBlockHash_asU8()),
    expiration: raw.getExpiration(),
    timestamp: raw.getTimestamp(),
    feeLimit: raw.getFeeLimit(),
  };
  if (typeUrl.endsWith("TransferContract")) {
    const p = proto.TransferContract.deserializeBinary(any.getValue_asU8());
    Object.assign(out, { owner: base58(p.getOwnerAddress_asU8()), to: base58(p.getToAddress_asU8()), amount: p.getAmount() });
  } else {
    const p = proto.TriggerSmartContract.deserializeBinary(any.getValue_asU8());
    Object.assign(out, { owner: base58(p.getOwnerAddress_asU8()), contract: base58(p.getContractAddress_asU8()),
      callValue: p.getCallValue(), data: hex(p.getData_asU8()) });
  }
  return out;
}
const answer = (value) => console.log(JSON.stringify(value));

if (input.op === "addresses") {
  const addresses = [];
  for (let i = 0; i < input.count; i++) {
    addresses.push(TronWeb.fromMnemonic(input.mnemonic, `m/44'/195'/0'/0/${i}`).address);
  }
  const account = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(input.mnemonic), "m/44'/195'/0'");
  answer({ xpub: account.neuter().extendedKey, addresses });
} else if (input.op === "fromHex") {
  answer({ address: TronWeb.address.fromHex(input.hex) });
} else if (input.op === "decode") {
  answer(decode(input.rawDataHex));
} else if (input.op === "forge") {
  // A signature by any key over the txID, without tronweb's checks: what a forger sends.
  const { txID } = decode(input.rawDataHex);
  const signed = utils.crypto.signTransaction(input.privateKey, { txID, raw_data_hex: input.rawDataHex, signature: [] });
  answer({ txID, signature: signed.signature[0] });
} else if (input.op === "sign") {
  // As a wallet built on tronweb signs: the JSON raw_data read back from the hex, then
  // trx.sign, which refuses a transaction whose raw_data_hex it would not serialise itself
  // (txCheck) or whose owner is not the key's address. No network is contacted.
  const { txID, typeUrl } = decode(input.rawDataHex);
  const type = typeUrl.split(".").pop();
  const raw_data = utils.deserializeTx.deserializeTransaction(type, input.rawDataHex);
  const tronWeb = new TronWeb({ fullHost: "http://127.0.0.1:9" });
  const signed = await tronWeb.trx.sign({ txID, raw_data, raw_data_hex: input.rawDataHex, visible: false }, input.privateKey);
  answer({ txID, signature: signed.signature[0] });
} else {
  console.error(`unknown op ${input.op}`);
  process.exit(2);
}
