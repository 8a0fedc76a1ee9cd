// Captures microphone audio as 16-bit PCM frames of 20 ms and posts them to
// the page, which sends them over the WebSocket. Short frames: the server can
// only declare the end of an utterance once the frame holding the pause has
// arrived, so a frame's length is added to every answer's latency.
class PcmCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.frame = new Int16Array(Math.round(sampleRate / 50));
    this.filled = 0;
    this.port.onmessage = (event) => {
      if (event.data === "flush" && this.filled > 0) {
        this.port.postMessage(this.frame.slice(0, this.filled).buffer);
        this.filled = 0;
      }
    };
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    for (let i = 0; i < channel.length; i++) {
      const s = Math.max(-1, Math.min(1, channel[i]));
      this.frame[this.filled++] = s < 0 ? s * 0x8000 : s * 0x7fff;
      if (this.filled === this.frame.length) {
        this.port.postMessage(this.frame.slice().buffer);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor("pcm-capture", PcmCapture);
