// A WebSocket client against `ethrex --dev`: subscribes to newHeads and to the Counter's logs,
// then waits (bounded) for one notification of each while the runner sends a transaction.
import WebSocket from "ws";

const [url, counter] = process.argv.slice(2);
const ws = new WebSocket(url);
const want = new Set(["newHeads", "logs"]);
const subs = {};
const timer = setTimeout(() => {
  console.error(`ws: timed out waiting for ${[...want].join(", ")}`);
  process.exit(1);
}, 60000);

ws.on("open", () => {
  ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] }));
  ws.send(JSON.stringify({
    jsonrpc: "2.0", id: 2, method: "eth_subscribe",
    params: ["logs", { address: counter }],
  }));
});

ws.on("message", (data) => {
  const msg = JSON.parse(data.toString());
  if (msg.id === 1) subs[msg.result] = "newHeads";
  else if (msg.id === 2) subs[msg.result] = "logs";
  else if (msg.error) { console.error("ws: error", JSON.stringify(msg.error)); process.exit(1); }
  if (Object.keys(subs).length === 2 && !subs.ready) {
    subs.ready = true;
    console.log("ws: subscribed");
  }
  if (msg.method === "eth_subscription") {
    const kind = subs[msg.params.subscription];
    const result = msg.params.result;
    if (kind === "newHeads" && result.number && result.hash) want.delete("newHeads");
    if (kind === "logs" && result.address?.toLowerCase() === counter.toLowerCase()) want.delete("logs");
    if (want.size === 0) {
      clearTimeout(timer);
      console.log("ws: got newHeads and logs notifications");
      ws.close();
      process.exit(0);
    }
  }
});
ws.on("error", (e) => { console.error("ws:", e.message); process.exit(1); });
