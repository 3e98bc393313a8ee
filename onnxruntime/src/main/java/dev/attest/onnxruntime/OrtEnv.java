package dev.attest.onnxruntime;

import ai.onnxruntime.OrtEnvironment;

/**
 * ONNX Runtime's environment, loaded once for both ONNX Runtime backends: a missing native library makes them
 * unavailable (with {@link #FAILURE} as the reason), not broken.
 */
final class OrtEnv {
    static final OrtEnvironment ENV;
    static final String FAILURE;
    static final String VERSION;

    static {
        OrtEnvironment env = null;
        String failure = null, version = "?";
        try {
            env = OrtEnvironment.getEnvironment();
            version = env.getVersion();
        } catch (Throwable t) {
            failure = "ONNX Runtime could not be loaded: " + t;
        }
        ENV = env;
        FAILURE = failure;
        VERSION = version;
    }

    private OrtEnv() {
    }
}
