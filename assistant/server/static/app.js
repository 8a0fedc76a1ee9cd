// DriveTalk browser client: push-to-talk over the session WebSocket.
// No build step: plain JavaScript. Protocol: see the server README.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { ws: null, ctx: null, mic: null, node: null, talking: false };

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

function addReply(text, kind) {
  if (!text) return;
  const item = document.createElement("li");
  item.textContent = text;
  item.className = kind;
  $("replies").appendChild(item);
}

// What the text box suggests in each language the session may speak.
const EXAMPLES = { en: "or type: send a message to Li Na", zh: "或者输入：给李娜发消息" };

async function createSession(key, locale) {
  const options = locale ? { audio: true, locale } : { audio: true };
  const response = await fetch("/v1/sessions", {
    method: "POST",
    headers: { "Authorization": `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify(options),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
  return body;
}

function onEvent(event) {
  switch (event.type) {
    case "ready": onReady(event); break;
    case "partial": $("partial").textContent = event.text; break;
    case "final": $("partial").textContent = ""; $("transcript").textContent = event.text; break;
    case "intent": $("intent").textContent = `${event.intent} (${event.confidence})`; break;
    case "reply": addReply(event.text, "reply"); break;
    case "announcement": addReply(event.text, "announcement"); break;
    case "barge_in": $("player").pause(); break;
    case "error": setStatus(`Error: ${event.message}`, true); break;
    default: break;
  }
}

function onReady(event) {
  const locale = event.locale || "en";
  setStatus(`Connected (${locale}). Hold the button and speak.`);
  document.documentElement.lang = locale;
  $("text").placeholder = EXAMPLES[locale] || EXAMPLES.en;
  $("talk").dataset.locale = locale;
  $("talk").hidden = false;
}

function playReply(data) {
  const player = $("player");
  if (player.src) URL.revokeObjectURL(player.src);
  player.src = URL.createObjectURL(new Blob([data], { type: "audio/wav" }));
  player.dataset.bytes = String(data.byteLength);
  player.play().catch(() => { /* autoplay refused: the reply text is shown anyway */ });
}

function openStream(session, key, locale) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}${session.stream_url}`);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => ws.send(JSON.stringify({
    type: "start", key, mode: "push_to_talk",
    format: { rate: state.ctx.sampleRate, channels: 1, sample: "s16le" },
    ...(locale ? { locale } : {}),
  }));
  ws.onmessage = (message) => {
    if (typeof message.data === "string") onEvent(JSON.parse(message.data));
    else playReply(message.data);
  };
  ws.onclose = (close) => {
    $("talk").hidden = true;
    setStatus(`Disconnected (${close.code}${close.reason ? ": " + close.reason : ""}).`, close.code !== 1000);
  };
  return ws;
}

async function connect(event) {
  event.preventDefault();
  const key = $("key").value.trim();
  try {
    state.ctx = state.ctx || new AudioContext();
    await state.ctx.audioWorklet.addModule("/static/pcm-worklet.js");
    const locale = $("locale").value;
    const session = await createSession(key, locale);
    localStorage.setItem("drivetalk-key", key);
    state.ws = openStream(session, key, locale);
    setStatus("Connecting...");
  } catch (error) {
    setStatus(`Cannot connect: ${error.message}`, true);
  }
}

async function startTalking() {
  if (state.talking || !state.ws || state.ws.readyState !== WebSocket.OPEN) return;
  state.talking = true;
  $("ptt").setAttribute("aria-pressed", "true");
  $("partial").textContent = "";
  $("player").pause();
  try {
    await state.ctx.resume();
    state.mic = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
    if (!state.talking) {  // released before the microphone opened
      state.mic.getTracks().forEach((track) => track.stop());
      return;
    }
    const source = state.ctx.createMediaStreamSource(state.mic);
    state.node = new AudioWorkletNode(state.ctx, "pcm-capture");
    state.node.port.onmessage = (message) => {
      if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(message.data);
    };
    const mute = state.ctx.createGain();
    mute.gain.value = 0;
    source.connect(state.node).connect(mute).connect(state.ctx.destination);
  } catch (error) {
    state.talking = false;
    $("ptt").setAttribute("aria-pressed", "false");
    setStatus(`Microphone unavailable: ${error.message}`, true);
  }
}

function stopTalking() {
  if (!state.talking) return;
  state.talking = false;
  $("ptt").setAttribute("aria-pressed", "false");
  const node = state.node;
  const mic = state.mic;
  if (node) node.port.postMessage("flush");
  // Let the last frame arrive, then tell the server the utterance is over.
  setTimeout(() => {
    if (mic) mic.getTracks().forEach((track) => track.stop());
    if (node) node.disconnect();
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify({ type: "end" }));
  }, 120);
}

function sendText(event) {
  event.preventDefault();
  const text = $("text").value.trim();
  if (!text || !state.ws || state.ws.readyState !== WebSocket.OPEN) return;
  state.ws.send(JSON.stringify({ type: "text", text }));
  $("transcript").textContent = text;
  $("text").value = "";
}

$("connect-form").addEventListener("submit", connect);
$("text-form").addEventListener("submit", sendText);
$("ptt").addEventListener("pointerdown", startTalking);
$("ptt").addEventListener("pointerup", stopTalking);
$("ptt").addEventListener("pointerleave", stopTalking);
$("key").value = localStorage.getItem("drivetalk-key") || "";
