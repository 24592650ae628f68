// Camera step of the sign-up: preview the rear camera, capture one frame into the canvas and put it
// in the form as a JPEG data URL; "Retake photo" goes back to the preview. Without a camera, the
// file input (capture="environment") is used, and choosing a file stops the camera.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const video = document.getElementById("camera-preview");
  const canvas = document.getElementById("captured-photo");
  const take = document.getElementById("take-photo");
  const retake = document.getElementById("retake-photo");
  const field = document.getElementById("photo-data");
  const file = document.getElementById("photo-file");
  const status = document.getElementById("camera-status");
  let stream = null;
  // Counts camera starts and stops: a start that finishes after a later choice (a photo taken,
  // a file chosen) must not turn the camera back on or overwrite the status line.
  let generation = 0;

  const stopCamera = () => {
    generation += 1;
    if (stream) {
      stream.getTracks().forEach((track) => track.stop());
      stream = null;
    }
  };

  // The "take a photo or upload one" error from the last submission no longer applies.
  const clearError = () => {
    document.querySelectorAll("main [role=alert]").forEach((alert) => alert.remove());
  };

  const show = ({ preview, photo, canTake, retakeLabel }) => {
    video.hidden = !preview;
    canvas.hidden = !photo;
    take.hidden = !canTake;
    retake.hidden = !retakeLabel;
    if (retakeLabel) {
      retake.textContent = retakeLabel;
    }
  };

  const startCamera = async () => {
    stopCamera();
    const mine = generation;
    field.value = "";
    take.disabled = true;
    show({ preview: true, photo: false, canTake: true, retakeLabel: null });
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = "No camera here. Upload a photo instead.";
      return;
    }
    status.textContent = "Starting the camera…";
    try {
      const started = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: false,
      });
      if (mine !== generation) {
        started.getTracks().forEach((track) => track.stop());
        return;
      }
      stream = started;
      video.srcObject = stream;
      await video.play();
      if (mine !== generation) {
        return;
      }
      take.disabled = false;
      status.textContent = "Camera ready. Hold your document in view.";
    } catch (error) {
      if (mine === generation) {
        status.textContent = "The camera is not available. Upload a photo instead.";
      }
    }
  };

  take.addEventListener("click", () => {
    // The canvas takes the frame's own size, so the photo keeps the camera's aspect ratio.
    const width = video.videoWidth || 640;
    const height = video.videoHeight || 480;
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").drawImage(video, 0, 0, width, height);
    field.value = canvas.toDataURL("image/jpeg", 0.85);
    stopCamera();
    file.value = ""; // the photo is what gets sent
    show({ preview: false, photo: true, canTake: false, retakeLabel: "Retake photo" });
    clearError();
    status.textContent = "Photo taken.";
    retake.focus();
  });

  retake.addEventListener("click", () => {
    file.value = "";
    startCamera();
  });

  file.addEventListener("change", () => {
    if (file.files.length === 0) {
      startCamera();
      return;
    }
    stopCamera();
    field.value = "";
    show({ preview: false, photo: false, canTake: false, retakeLabel: "Use the camera instead" });
    clearError();
    status.textContent = `Using ${file.files[0].name}. Press Continue.`;
  });

  window.addEventListener("pagehide", stopCamera);
  startCamera();
});
