// Camera step of the sign-up: preview the rear camera, capture one frame into the canvas and put it
// in the form as a JPEG data URL. Without a camera, the file input (capture="environment") is used.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const video = document.getElementById("camera-preview");
  const canvas = document.getElementById("captured-photo");
  const button = document.getElementById("take-photo");
  const field = document.getElementById("photo-data");
  const status = document.getElementById("camera-status");
  let stream = null;

  const stopCamera = () => {
    if (stream) {
      stream.getTracks().forEach((track) => track.stop());
      stream = null;
    }
  };

  const startCamera = async () => {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = "No camera here. Upload a photo instead.";
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: false,
      });
      video.srcObject = stream;
      await video.play();
      button.disabled = false;
      status.textContent = "Camera ready. Hold your document in view.";
    } catch (error) {
      status.textContent = "The camera is not available. Upload a photo instead.";
    }
  };

  button.addEventListener("click", () => {
    const width = video.videoWidth || 640;
    const height = video.videoHeight || 480;
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").drawImage(video, 0, 0, width, height);
    field.value = canvas.toDataURL("image/jpeg", 0.85);
    canvas.hidden = false;
    video.hidden = true;
    stopCamera();
    button.disabled = true;
    status.textContent = "Photo taken.";
  });

  window.addEventListener("pagehide", stopCamera);
  startCamera();
});
