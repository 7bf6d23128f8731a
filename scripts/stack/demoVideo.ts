/**
 * A real, playable demo video with sound, made on first use with the ffmpeg binary that ships inside an npm package
 * (`@ffmpeg-installer/ffmpeg` picks the one for this platform), so `npm install && npm start` stays the only set-up.
 * A moving test pattern with grain (grain makes every second cost the same bytes, so the size follows the duration)
 * and a tone, in WebM (VP8 + Opus): what every Chromium, Firefox and Safari build plays, Debian's Chromium
 * included. A keyframe every 2 s keeps seeks cheap. Made once per set of parameters and kept in the system's
 * temporary folder.
 *
 *   const path = await demoVideo({ seconds: 84, bitrate: 5_000_000 }); // about 50 MiB
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, renameSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The video `npm start` publishes (about 51 MiB, 84 s: the checkpoints at 10 and 30 MiB fall inside it). */
export const DEMO_VIDEO: DemoVideoOptions = { seconds: 84, bitrate: 5_000_000 };

export interface DemoVideoOptions {
  seconds: number;
  /** Video bits per second; the file is about seconds × (bitrate + 96 kbit/s) / 8 bytes. */
  bitrate: number;
  width?: number;
  height?: number;
}

/** The ffmpeg binary of the installed `@ffmpeg-installer/<platform>` package. */
export function ffmpegPath(): string {
  const installer = createRequire(import.meta.url)("@ffmpeg-installer/ffmpeg") as { path: string };
  return installer.path;
}

const FPS = 25;
const KEYFRAME_EVERY_FRAMES = 2 * FPS;
const AUDIO_BITRATE = 96_000;

export function demoVideoArgs({ seconds, bitrate, width = 640, height = 360 }: DemoVideoOptions, output: string): string[] {
  const rate = String(bitrate);
  return [
    "-hide_banner",
    "-loglevel",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    `testsrc2=size=${width}x${height}:rate=${FPS},noise=alls=30:allf=t`,
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=440:beep_factor=4:sample_rate=48000",
    "-t",
    String(seconds),
    "-c:v",
    "libvpx",
    "-deadline",
    "realtime",
    "-cpu-used",
    "8",
    "-b:v",
    rate,
    "-minrate",
    rate,
    "-maxrate",
    rate,
    "-g",
    String(KEYFRAME_EVERY_FRAMES),
    "-c:a",
    "libopus",
    "-b:a",
    String(AUDIO_BITRATE),
    "-f",
    "webm",
    output,
  ];
}

/** The path of the demo video with these parameters, made (in about a second per two seconds of video) if missing. */
export async function demoVideo(options: DemoVideoOptions): Promise<string> {
  const { seconds, bitrate, width = 640, height = 360 } = options;
  const path = join(tmpdir(), `web3torrent-demo-video-${width}x${height}-${seconds}s-${bitrate}.webm`);
  if (existsSync(path)) return path;
  const partial = `${path}.${process.pid}.part`;
  const child = spawn(ffmpegPath(), demoVideoArgs(options, partial), { stdio: ["ignore", "ignore", "inherit"] });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", resolve);
  });
  if (code !== 0) throw new Error(`ffmpeg could not make the demo video (exit code ${code})`);
  renameSync(partial, path);
  return path;
}

/** Copies the demo video to `destination` (seeded content lives in its own folder). */
export async function writeDemoVideo(destination: string, options: DemoVideoOptions): Promise<string> {
  copyFileSync(await demoVideo(options), destination);
  return destination;
}
