// Node: WebRTC from @roamhq/wrtc (prebuilt binary from npm).
import wrtc from "@roamhq/wrtc";

export const RTCPeerConnection = wrtc.RTCPeerConnection;
export const RTCSessionDescription = wrtc.RTCSessionDescription;
export const RTCIceCandidate = wrtc.RTCIceCandidate;
export default wrtc;
