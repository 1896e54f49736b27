{
  "targets": [
    {
      "target_name": "ummkd_native",
      "sources": ["src/addon.cc", "src/common.cc", "src/conv.cc", "src/pool.cc", "src/bnorm.cc", "src/gnorm.cc", "src/elementwise.cc", "src/matmul.cc", "src/dropout.cc", "src/layout.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-ffp-contract=off", "-fno-math-errno", "-fexceptions", "-fopenmp"],
      "libraries": ["-ldnnl", "-fopenmp"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O2"]
      }
    }
  ]
}
