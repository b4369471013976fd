// Solana wallets on the hosted page (spec §10.3). Phantom, Solflare, Backpack and the others
// announce themselves through the Wallet Standard: the page dispatches
// `wallet-standard:app-ready` with a `register` function, and listens for
// `wallet-standard:register-wallet`, whose detail is a callback to call with that function (a
// wallet loaded before or after the page is found either way). A wallet that can connect and
// `solana:signAndSendTransaction` can pay: it signs Sluice's serializedTransaction as it is
// and sends it to its own RPC node; the page reports the signature (P7). Served between
// text.js and pay.js, inside the same closure (pay_page.rs).
const solanaWallets = (() => {
  const found = [];
  const CONNECT = "standard:connect";
  const SEND = "solana:signAndSendTransaction";
  // Chain IDs as Dynamic numbers Solana's clusters, and the Wallet Standard's names for them.
  const CHAINS = { 101: "solana:mainnet", 102: "solana:testnet", 103: "solana:devnet" };

  function canPay(wallet) {
    const features = (wallet && wallet.features) || {};
    return Boolean(features[CONNECT] && features[SEND]);
  }

  /** Listens for Solana wallets; `onFound` runs each time one that can pay registers. */
  function discover(onFound) {
    const api = Object.freeze({
      register(...wallets) {
        for (const wallet of wallets) {
          if (canPay(wallet) && !found.includes(wallet)) found.push(wallet);
        }
        onFound();
        return () => {}; // the page keeps every wallet it has seen until it is left
      },
    });
    window.addEventListener("wallet-standard:register-wallet", (event) => {
      if (typeof event.detail === "function") event.detail(api);
    });
    window.dispatchEvent(new CustomEvent("wallet-standard:app-ready", { detail: api }));
  }

  /** The wallet's account that will pay (the first it grants). */
  async function connect(wallet) {
    const { accounts } = await wallet.features[CONNECT].connect();
    if (!accounts || !accounts.length) throw new Error("the wallet shared no account");
    return accounts[0];
  }

  const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  function base58(bytes) {
    let number = 0n;
    for (const byte of bytes) number = number * 256n + BigInt(byte);
    let text = "";
    while (number > 0n) {
      text = ALPHABET[Number(number % 58n)] + text;
      number /= 58n;
    }
    for (const byte of bytes) {
      if (byte !== 0) break;
      text = `1${text}`;
    }
    return text;
  }

  /** Has `wallet` sign and send the base64 transaction; the signature, base58. */
  async function signAndSend(wallet, account, serialized, chainId) {
    const transaction = Uint8Array.from(atob(serialized), (c) => c.charCodeAt(0));
    const chain = CHAINS[chainId] || "solana:localnet";
    const [output] = await wallet.features[SEND].signAndSendTransaction({ account, transaction, chain });
    return base58(output.signature);
  }

  return { found, discover, connect, signAndSend };
})();
