// TRON's own SDK as the independent oracle of the TRON tests (crates/sluice-*/tests). One
// command per run, its input as JSON in argv[2], one JSON answer on stdout:
//   {"op": "addresses", "mnemonic": "...", "count": N}
//       -> {"addresses": [...]}: m/44'/195'/0'/0/i for i < N, as tronweb.fromMnemonic derives
//          them, and {"xpub": ...}: the account key m/44'/195'/0' (ethers), for Sluice.
//   {"op": "fromHex", "hex": "41…"} -> {"address": "T…"}
// Offline: nothing here talks to a network.
import { HDNodeWallet, Mnemonic } from "ethers";
import { TronWeb } from "tronweb";

const input = JSON.parse(process.argv[2]);
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
} else {
  console.error(`unknown op ${input.op}`);
  process.exit(2);
}
