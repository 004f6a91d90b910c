/*
 * cri_methods.c - the CRI methods k1s calls: one row each, naming the gRPC
 * path and the request and reply messages of kubelet/cri.proto. Image
 * methods belong to runtime.v1.ImageService, the rest to RuntimeService.
 */
#include "cri_internal.h"

#include <string.h>

#include "cri.pb-c.h"

#define RT(m, c)                                                                       \
    {                                                                                  \
#m, "/runtime.v1.RuntimeService/" #m, &runtime__v1__##c##_request__descriptor, \
            &runtime__v1__##c##_response__descriptor                                   \
    }
#define IMG(m, c)                                                                    \
    {                                                                                \
#m, "/runtime.v1.ImageService/" #m, &runtime__v1__##c##_request__descriptor, \
            &runtime__v1__##c##_response__descriptor                                 \
    }

static const k1s__cri_method methods[] = {
    RT(Version, version),
    RT(RunPodSandbox, run_pod_sandbox),
    RT(StopPodSandbox, stop_pod_sandbox),
    RT(RemovePodSandbox, remove_pod_sandbox),
    RT(PodSandboxStatus, pod_sandbox_status),
    RT(ListPodSandbox, list_pod_sandbox),
    RT(CreateContainer, create_container),
    RT(StartContainer, start_container),
    RT(StopContainer, stop_container),
    RT(RemoveContainer, remove_container),
    RT(ListContainers, list_containers),
    RT(ContainerStatus, container_status),
    RT(UpdateContainerResources, update_container_resources),
    RT(ReopenContainerLog, reopen_container_log),
    RT(ExecSync, exec_sync),
    RT(Exec, exec),
    RT(Attach, attach),
    RT(PortForward, port_forward),
    RT(ContainerStats, container_stats),
    RT(ListContainerStats, list_container_stats),
    RT(UpdateRuntimeConfig, update_runtime_config),
    RT(Status, status),
    IMG(ListImages, list_images),
    IMG(ImageStatus, image_status),
    IMG(PullImage, pull_image),
    IMG(RemoveImage, remove_image),
    IMG(ImageFsInfo, image_fs_info),
};

const k1s__cri_method *k1s__cri_method_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(methods[i].name, name) == 0)
            return &methods[i];
    return NULL;
}
